// The schema of one event type or pattern: JSON Schema text checked on every keystroke, the mode,
// save (PUT), delete, and "Start from inferred draft" (POST …/infer), which only fills the editor:
// nothing changes on the server until Save. The server's refusals (422, 403) are shown here, next
// to what caused them, not as toasts.
import { useId, useState, type FormEvent } from 'react'
import { toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { Field, inputClass } from '@/components/ui/field'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import type { EventSchema, SchemaMode } from '@/api/types'
import { useDeleteSchema, useInferSchema, useSaveSchema } from '../api/schemas'
import { STARTER_SCHEMA, parseJson, pretty, schemaShapeError } from '../lib/json-text'
import { MODES, refusal } from '../lib/words'

export interface SchemaEditorProps {
  /** The event type or pattern edited; null: a new schema, its pattern typed here. */
  pattern: string | null
  existing: EventSchema | null
  /** The concrete type to infer a draft from (a pattern's own name is tried otherwise). */
  inferFrom?: string
  canManage: boolean
  onSaved?: (pattern: string) => void
  onDeleted?: () => void
}

export function SchemaEditor({ pattern, existing, inferFrom, canManage, onSaved, onDeleted }: SchemaEditorProps) {
  const [name, setName] = useState(pattern ?? '')
  const [text, setText] = useState(existing ? pretty(existing.schema) : STARTER_SCHEMA)
  const [mode, setMode] = useState<SchemaMode>(existing?.mode ?? 'warn')
  const [draft, setDraft] = useState<{ sampled: number; from: string } | null>(null)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const save = useSaveSchema()
  const remove = useDeleteSchema()
  const infer = useInferSchema()
  const ids = { text: useId(), parse: useId(), server: useId(), mode: useId() }

  const parsed = parseJson(text)
  const localError = parsed.ok ? schemaShapeError(parsed.value) : parsed.message
  const target = (pattern ?? name).trim()
  const dirty = !existing || text !== pretty(existing.schema) || mode !== existing.mode
  const serverError = save.error ? refusal(save.error) : null
  const serverField = save.error ? toApiError(save.error).field : null

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!parsed.ok || localError || !target) return
    save.mutate(
      // The document types it as an object; true / false are valid schemas too, and sent as such.
      { eventType: target, body: { mode, schema: parsed.value as Record<string, unknown> } },
      {
        onSuccess: (saved) => {
          setDraft(null)
          notifySuccess(existing ? `Schema for ${saved.event_type} saved` : `Schema for ${saved.event_type} created`, `Version ${saved.version}, mode ${saved.mode}: it applies to events from now on.`)
          onSaved?.(saved.event_type)
        },
      },
    )
  }

  // Inference reads the events of one concrete type; a pattern is inferred from the type it was opened from.
  const inferType = inferFrom ?? (target && !target.includes('*') ? target : null)

  function startFromDraft() {
    if (!inferType) return
    infer.mutate(inferType, {
      onSuccess: (proposal) => {
        setText(pretty(proposal.schema))
        setDraft({ sampled: proposal.sampled, from: proposal.event_type })
        save.reset()
      },
    })
  }

  const title = pattern ? (existing ? 'Schema' : 'New schema') : 'New schema'
  return (
    <form onSubmit={submit} aria-label={`Schema editor${target ? ` for ${target}` : ''}`} data-testid="schema-editor" className="min-w-0 space-y-3 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10" noValidate>
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
        <h2 className="text-sm font-semibold">
          {title} {pattern && <code className="font-mono">{pattern}</code>}
        </h2>
        {existing && (
          <span className="text-xs text-gray-600 dark:text-gray-400" title={formatDateTime(existing.updated_at)}>
            version {existing.version} · updated {formatRelative(existing.updated_at)}
          </span>
        )}
      </div>
      {pattern === null && (
        <Field
          label="Event type or pattern"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="order.*"
          autoComplete="off"
          spellCheck={false}
          hint={
            <>
              An exact type (<code>signup</code>), a prefix (<code>order.*</code>), a suffix (<code>*.failed</code>) or <code>*</code>; the most specific one applies.
            </>
          }
          error={serverField === 'event_type' ? serverError : null}
        />
      )}
      <div>
        <label htmlFor={ids.mode} className="block text-sm font-medium">
          Mode
        </label>
        <select id={ids.mode} value={mode} onChange={(e) => setMode(e.target.value as SchemaMode)} className={cn(inputClass, 'mt-1.5')} disabled={!canManage}>
          {MODES.map((m) => (
            <option key={m.mode} value={m.mode}>
              {m.label} — {m.what}
            </option>
          ))}
        </select>
      </div>
      <div>
        <div className="flex flex-wrap items-end justify-between gap-2">
          <label htmlFor={ids.text} className="block text-sm font-medium">
            JSON Schema for <code className="font-mono">metadata</code> <span className="font-normal text-gray-500 dark:text-gray-400">(draft 2020-12)</span>
          </label>
          {canManage && (
            <Button
              size="sm"
              onClick={startFromDraft}
              loading={infer.isPending}
              disabled={!inferType}
              title={inferType ? `Propose a schema from the newest stored ${inferType} events` : 'A draft is inferred from one event type: select a type this pattern matches in the table above'}
            >
              Start from inferred draft
            </Button>
          )}
        </div>
        <textarea
          id={ids.text}
          value={text}
          onChange={(e) => {
            setText(e.target.value)
            if (save.isError) save.reset()
          }}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          rows={16}
          readOnly={!canManage}
          aria-invalid={localError || serverError ? true : undefined}
          aria-describedby={[localError ? ids.parse : null, serverError && serverField !== 'event_type' ? ids.server : null].filter(Boolean).join(' ') || undefined}
          className={cn(inputClass, 'mt-1.5 min-h-64 resize-y font-mono text-xs leading-5 aria-invalid:ring-red-500 dark:aria-invalid:ring-red-400')}
        />
        {localError && (
          <p id={ids.parse} role="alert" data-testid="schema-parse-error" className="mt-1 text-xs text-red-600 dark:text-red-400">
            {localError}
          </p>
        )}
        {serverError && serverField !== 'event_type' && (
          <p id={ids.server} role="alert" data-testid="schema-server-error" className="mt-1 rounded-md bg-red-50 px-2.5 py-1.5 text-xs text-red-800 dark:bg-red-400/10 dark:text-red-300">
            {serverField === 'schema' ? 'The server refused this schema: ' : ''}
            {serverError}
          </p>
        )}
        {infer.isError && (
          <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
            No draft: {refusal(infer.error)}
          </p>
        )}
        {draft && (
          <p role="status" data-testid="schema-draft-note" className="mt-1 text-xs text-accent-700 dark:text-accent-300">
            Draft inferred from {formatCount(draft.sampled)} stored {draft.from} event{draft.sampled === 1 ? '' : 's'}: review it, then save. Nothing is applied until you do.
          </p>
        )}
      </div>
      {!canManage && <p className="text-xs text-gray-600 dark:text-gray-400">Read only: changing schemas needs the manage scope (the admin token or a key that has it).</p>}
      {canManage && (
        <div className="flex flex-wrap items-center gap-2 pt-1">
          <Button type="submit" variant="primary" loading={save.isPending} disabled={Boolean(localError) || !target || !dirty}>
            {existing ? 'Save schema' : 'Create schema'}
          </Button>
          {existing && dirty && (
            <Button
              onClick={() => {
                setText(pretty(existing.schema))
                setMode(existing.mode)
                setDraft(null)
                save.reset()
              }}
            >
              Discard changes
            </Button>
          )}
          {existing && (
            <Button variant="ghost" className="ml-auto text-red-700 dark:text-red-400" onClick={() => setConfirmDelete(true)}>
              Delete schema
            </Button>
          )}
        </div>
      )}
      <Dialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={`Delete the schema for ${pattern ?? ''}?`}
        description="Its events are no longer checked by it (a broader pattern or the unplanned-type policy applies instead)."
      >
        {remove.isError && (
          <p role="alert" className="mb-2 text-sm text-red-600 dark:text-red-400">
            {refusal(remove.error)}
          </p>
        )}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={() => setConfirmDelete(false)} autoFocus>
            Cancel
          </Button>
          <Button
            variant="danger"
            loading={remove.isPending}
            onClick={() =>
              pattern &&
              remove.mutate(pattern, {
                onSuccess: () => {
                  setConfirmDelete(false)
                  notifySuccess(`Schema for ${pattern} deleted`)
                  onDeleted?.()
                },
              })
            }
          >
            Delete schema
          </Button>
        </div>
      </Dialog>
    </form>
  )
}
