// The tenant picker in the top bar: a button that opens a listbox, with a search field when
// there are many tenants. Keyboard: ↑/↓ move, Enter picks, Escape closes and returns focus.
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import type { Tenant } from '@/api/types'
import { CheckIcon, ChevronDownIcon, PlusIcon, SearchIcon } from '@/components/ui/icons'
import { Skeleton } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { cn } from '@/lib/cn'
import { useTenants } from '../api/get-tenants'
import { CreateTenantDialog } from './create-tenant-dialog'

const SEARCH_THRESHOLD = 6

export function TenantSelector({ tenantId }: { tenantId: string | undefined }) {
  const tenants = useTenants()
  const admin = isAdmin(useSession())
  const navigate = useNavigate()
  const location = useLocation()
  const [open, setOpen] = useState(false)
  const [creating, setCreating] = useState(false)
  const [search, setSearch] = useState('')
  const [active, setActive] = useState(0)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const popoverRef = useRef<HTMLDivElement>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  const listRef = useRef<HTMLUListElement>(null)
  const listId = useId()

  const all = useMemo(() => tenants.data ?? [], [tenants.data])
  const current = all.find((t) => t.id === tenantId)
  const showSearch = all.length > SEARCH_THRESHOLD
  const visible = useMemo(() => {
    const q = search.trim().toLowerCase()
    return q ? all.filter((t) => t.name.toLowerCase().includes(q) || t.id.startsWith(q)) : all
  }, [all, search])

  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent) => {
      if (!popoverRef.current?.contains(event.target as Node) && !buttonRef.current?.contains(event.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    return () => document.removeEventListener('pointerdown', onPointer)
  }, [open])

  useEffect(() => {
    if (!open) return
    ;(showSearch ? searchRef.current : listRef.current)?.focus()
  }, [open, showSearch])

  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' })
  }, [active])

  function openMenu() {
    setSearch('')
    setActive(Math.max(0, all.findIndex((t) => t.id === tenantId)))
    setOpen(true)
  }

  function close(focusButton = true) {
    setOpen(false)
    if (focusButton) buttonRef.current?.focus()
  }

  function pick(tenant: Tenant) {
    close()
    if (tenant.id === tenantId) return
    const section = location.pathname.split('/')[3] ?? 'live'
    navigate(`/t/${tenant.id}/${section}`)
  }

  function onKeyDown(event: React.KeyboardEvent) {
    if (event.key === 'ArrowDown') {
      event.preventDefault()
      setActive((i) => Math.min(visible.length - 1, i + 1))
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      setActive((i) => Math.max(0, i - 1))
    } else if (event.key === 'Home') {
      event.preventDefault()
      setActive(0)
    } else if (event.key === 'End') {
      event.preventDefault()
      setActive(visible.length - 1)
    } else if (event.key === 'Enter') {
      event.preventDefault()
      const tenant = visible[active]
      if (tenant) pick(tenant)
    } else if (event.key === 'Escape') {
      event.preventDefault()
      close()
    } else if (event.key === 'Tab') {
      close(false)
    }
  }

  if (tenants.isLoading) return <Skeleton className="h-8 w-40" />

  const activeId = visible[active] ? `${listId}-${visible[active].id}` : undefined

  return (
    <div className="relative min-w-0">
      <button
        ref={buttonRef}
        type="button"
        aria-haspopup="listbox"
        aria-expanded={open}
        onClick={() => (open ? close() : openMenu())}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault()
            openMenu()
          }
        }}
        className="flex h-8 max-w-full items-center sm:max-w-56 gap-2 rounded-md px-2.5 text-sm font-medium ring-1 ring-gray-300 ring-inset hover:bg-gray-50 dark:ring-white/15 dark:hover:bg-white/5"
      >
        <span className="size-2 shrink-0 rounded-full bg-accent-500" aria-hidden="true" />
        <span className="sr-only">Tenant: </span>
        <span className="truncate" data-testid="current-tenant">
          {current?.name ?? 'Select a tenant'}
        </span>
        <span className="sr-only">, change tenant</span>
        <ChevronDownIcon className="size-4 shrink-0 text-gray-500" />
      </button>

      {open && (
        <div
          ref={popoverRef}
          className="absolute top-full left-0 z-40 mt-1.5 w-72 max-w-[calc(100vw-1.5rem)] overflow-hidden rounded-lg bg-white shadow-lg ring-1 ring-gray-900/10 dark:bg-gray-900 dark:ring-white/10"
        >
          {showSearch && (
            <div className="flex items-center gap-2 border-b border-gray-200 px-3 dark:border-white/10">
              <SearchIcon className="size-4 text-gray-400" />
              <input
                ref={searchRef}
                role="combobox"
                aria-expanded="true"
                aria-controls={listId}
                aria-activedescendant={activeId}
                aria-autocomplete="list"
                aria-label="Search tenants"
                placeholder="Search tenants…"
                value={search}
                onChange={(e) => {
                  setSearch(e.target.value)
                  setActive(0)
                }}
                onKeyDown={onKeyDown}
                className="h-10 w-full bg-transparent text-sm outline-none placeholder:text-gray-400"
              />
            </div>
          )}
          <ul
            ref={listRef}
            id={listId}
            role="listbox"
            aria-label="Tenants"
            tabIndex={showSearch ? -1 : 0}
            aria-activedescendant={showSearch ? undefined : activeId}
            onKeyDown={showSearch ? undefined : onKeyDown}
            className="max-h-72 overflow-y-auto py-1 outline-none"
          >
            {visible.length === 0 && <li className="px-3 py-2 text-sm text-gray-500">No tenant matches “{search}”.</li>}
            {visible.map((tenant, index) => (
              <li
                key={tenant.id}
                id={`${listId}-${tenant.id}`}
                data-index={index}
                role="option"
                aria-selected={tenant.id === tenantId}
                onClick={() => pick(tenant)}
                onPointerMove={() => setActive(index)}
                className={cn(
                  'flex cursor-pointer items-center gap-2 px-3 py-2 text-sm',
                  index === active && 'bg-gray-100 dark:bg-white/10',
                )}
              >
                <span className="flex-1 truncate">{tenant.name}</span>
                {tenant.status !== 'active' && <span className="text-xs text-amber-700 dark:text-amber-400">{tenant.status}</span>}
                {tenant.id === tenantId && <CheckIcon className="size-4 text-accent-600 dark:text-accent-400" />}
              </li>
            ))}
          </ul>
          {admin && (
            <div className="border-t border-gray-200 p-1 dark:border-white/10">
              <button
                type="button"
                onClick={() => {
                  close(false)
                  setCreating(true)
                }}
                className="flex w-full items-center gap-2 rounded-md px-2 py-2 text-sm text-accent-700 hover:bg-gray-100 dark:text-accent-300 dark:hover:bg-white/10"
              >
                <PlusIcon className="size-4" /> Create tenant
              </button>
            </div>
          )}
        </div>
      )}
      <CreateTenantDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  )
}
