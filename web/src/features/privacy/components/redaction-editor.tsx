// The redaction policy: the rules and detectors being edited, saved with one button, and the
// live preview of what they do to an event. The API's refusal (422 with `field`) shows under the
// rule or detector it names, whether it came from saving or from the preview (which checks the
// policy as it is typed). The event tried is in the URL (`?preview=<event id>|sample`).
import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import type { Detector, Event, PrivacySettings } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { eventQuery } from '@/features/events/api/get-events'
import { parseJson, pretty } from '@/features/quality/lib/json-text'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { formatDateTime, formatRelative } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import { useRecentEvents, useSavePrivacy } from '../api/privacy'
import { useLivePreview } from '../hooks/use-live-preview'
import { addRule, DETECTORS, draftOf, isDirty, isEmptyPolicy, locateField, moveRule, policyOf, removeRule, setDetector, updateRule, type FieldPlace, type PolicyDraft } from '../lib/policy-form'
import { SAMPLE, SAMPLE_METADATA, sampleShapeError } from '../lib/sample'
import { DetectorsEditor } from './detectors-editor'
import { RedactionPreview } from './redaction-preview'
import { RulesEditor } from './rules-editor'

export function RedactionEditor({ saved, canManage }: { saved: PrivacySettings; canManage: boolean }) {
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(saved))
  const save = useSavePrivacy()
  // What the last save sent, to put its refusal on the right row.
  const [sentOnSave, setSentOnSave] = useState<{ ruleIds: string[]; detectors: Detector[] } | null>(null)
  const dirty = isDirty(saved, draft)

  function change(next: (draft: PolicyDraft) => PolicyDraft) {
    setDraft(next)
    if (save.isError) save.reset()
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!canManage || !dirty) return
    const policy = policyOf(draft)
    setSentOnSave({ ruleIds: draft.rules.map((r) => r.id), detectors: policy.detectors.map((d) => d.detector) })
    save.mutate(policy, {
      onSuccess: (stored) => {
        const n = stored.rules.length
        const d = stored.detectors.length
        notifySuccess('Privacy policy saved', `${n} rule${n === 1 ? '' : 's'}, ${d} detector${d === 1 ? '' : 's'}: applied to every event received from now on.`)
      },
    })
  }

  // The event the preview tries: the one in the URL, else the newest, else the sample.
  const { tenantId, scope } = useTenantScope()
  const [params, setParams] = useSearchParams()
  const events = useRecentEvents()
  const list = events.data ?? []
  const requested = params.get('preview')
  const known = list.find((e) => e.id === requested)
  const fetched = useQuery({ ...eventQuery(tenantId, scope, requested ?? ''), enabled: Boolean(requested) && requested !== SAMPLE && !known && !events.isPending })
  const fallback = list[0]?.id ?? (events.isPending ? '' : SAMPLE)
  const source = requested && !(requested !== SAMPLE && fetched.isError) ? requested : fallback
  const selected: Event | null = source === SAMPLE ? null : (known ?? (fetched.data?.id === source ? fetched.data : null) ?? list.find((e) => e.id === source) ?? null)
  const [sampleText, setSampleText] = useState(() => pretty(SAMPLE_METADATA))
  const parsedSample = parseJson(sampleText)
  const sampleError = parsedSample.ok ? sampleShapeError(parsedSample.value) : parsedSample.message
  const metadata = source === SAMPLE ? (sampleError || !parsedSample.ok ? null : (parsedSample.value as Record<string, unknown>)) : (selected?.metadata ?? null)
  const preview = useLivePreview(draft, metadata)

  function choose(next: string) {
    setParams(
      (prev) => {
        const p = new URLSearchParams(prev)
        p.set('preview', next)
        return p
      },
      { replace: true },
    )
  }

  // Refusals, from the preview first and saving last (saving is what counts).
  const ruleErrors = new Map<string, string>()
  const detectorErrors = new Map<Detector, string>()
  let listError: string | null = null
  const put = (place: FieldPlace, message: string) => {
    if (place.kind === 'rule') ruleErrors.set(place.id, message)
    else if (place.kind === 'detector') detectorErrors.set(place.detector, message)
    else if (place.kind === 'rules') listError = message
  }
  if (preview.refusal) put(preview.refusal.place, preview.refusal.message)
  const saveError = save.error ? toApiError(save.error) : null
  const savePlace = saveError?.category === 'invalid_input' && sentOnSave ? locateField(saveError.field, sentOnSave) : null
  if (saveError && savePlace) put(savePlace, saveError.message)
  const otherSaveError = saveError && (!savePlace || savePlace.kind === 'other') ? describeError(saveError) : null
  const refusalWhere = (() => {
    const place = preview.refusal?.place
    if (place?.kind === 'rule') return `Rule ${draft.rules.findIndex((r) => r.id === place.id) + 1}`
    if (place?.kind === 'detector') return DETECTORS.find((d) => d.detector === place.detector)?.label ?? null
    return null
  })()

  const hasHash = draft.rules.some((r) => r.action === 'hash') || Object.values(draft.detectors).includes('hash')
  return (
    <div className="min-w-0 space-y-4">
      <form onSubmit={submit} noValidate aria-labelledby="redaction-heading" data-testid="redaction-editor" className="min-w-0 rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 border-b border-gray-100 px-4 py-3 dark:border-white/5">
          <div className="min-w-0">
            <h2 id="redaction-heading" className="text-sm font-semibold">
              Redaction policy
            </h2>
            <p className="text-xs text-gray-600 dark:text-gray-400">Applied to every event before it is stored, streamed or delivered. Events stored before a change are not rewritten.</p>
          </div>
          <span className="text-xs text-gray-600 dark:text-gray-400" data-testid="policy-status" title={saved.updated_at ? formatDateTime(saved.updated_at) : undefined}>
            {saved.updated_at ? `Saved ${formatRelative(saved.updated_at)}` : 'Never saved: events are stored as sent'}
          </span>
        </div>
        <div className="grid min-w-0 gap-6 p-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,22rem)]">
          <RulesEditor
            rules={draft.rules}
            canManage={canManage}
            errors={ruleErrors}
            listError={listError}
            onAdd={() => {
              const next = addRule(draft)
              change(() => next)
              return next.rules[next.rules.length - 1]?.id ?? ''
            }}
            onChange={(id, patch) => change((d) => updateRule(d, id, patch))}
            onRemove={(id) => change((d) => removeRule(d, id))}
            onMove={(id, delta) => change((d) => moveRule(d, id, delta))}
          />
          <DetectorsEditor detectors={draft.detectors} canManage={canManage} errors={detectorErrors} onChange={(detector, action) => change((d) => setDetector(d, detector, action))} />
        </div>
        <div className="flex flex-wrap items-center justify-end gap-2 border-t border-gray-100 px-4 py-3 dark:border-white/5">
          {!canManage ? (
            <p className="mr-auto text-xs text-gray-600 dark:text-gray-400" data-testid="read-only">
              Read only: changing the policy needs the manage scope (the admin token or a key that has it). The preview works with any key that can read.
            </p>
          ) : (
            <>
              {otherSaveError && (
                <p role="alert" className="mr-auto text-xs text-red-600 dark:text-red-400">
                  {otherSaveError.title}
                  {otherSaveError.description ? ` — ${otherSaveError.description}` : ''}
                </p>
              )}
              {dirty && !otherSaveError && <span className="mr-auto text-xs font-medium text-amber-800 dark:text-amber-300">Unsaved changes</span>}
              <Button
                disabled={!dirty || save.isPending}
                onClick={() => {
                  save.reset()
                  setDraft(draftOf(saved))
                }}
              >
                Discard changes
              </Button>
              <Button type="submit" variant="primary" loading={save.isPending} disabled={!dirty}>
                Save policy
              </Button>
            </>
          )}
        </div>
      </form>
      <RedactionPreview
        events={events.data}
        eventsPending={events.isPending}
        source={source}
        onSource={choose}
        sampleText={sampleText}
        onSampleText={setSampleText}
        sampleError={source === SAMPLE ? sampleError : null}
        selected={selected}
        preview={preview}
        storedRedacted={Boolean(selected && saved.updated_at && !isEmptyPolicy(saved) && selected.received_at >= saved.updated_at)}
        throwawayHashes={!saved.updated_at && hasHash}
        refusalWhere={refusalWhere}
        onEditCopy={(event) => {
          setSampleText(pretty(event.metadata))
          choose(SAMPLE)
        }}
      />
    </div>
  )
}
