import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { FeedToolbar } from './feed-toolbar'

function renderToolbar(overrides: Partial<Parameters<typeof FeedToolbar>[0]> = {}) {
  const props = { paused: false, pendingCount: 0, onPause: vi.fn(), onResume: vi.fn(), autoScroll: true, onAutoScrollChange: vi.fn(), shown: 12, liveShown: 3, ...overrides }
  render(<FeedToolbar {...props} />)
  return props
}

describe('FeedToolbar', () => {
  it('pauses, and while paused offers resume with the count of waiting events', async () => {
    const props = renderToolbar()
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }))
    expect(props.onPause).toHaveBeenCalled()
  })

  it('shows how many arrived while paused', async () => {
    const props = renderToolbar({ paused: true, pendingCount: 312 })
    expect(screen.getByText('312 new while paused')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }))
    expect(props.onResume).toHaveBeenCalled()
  })

  it('toggles auto-scroll and exposes its state', async () => {
    const props = renderToolbar({ autoScroll: true })
    const toggle = screen.getByRole('button', { name: /auto-scroll/i })
    expect(toggle).toHaveAttribute('aria-pressed', 'true')
    await userEvent.click(toggle)
    expect(props.onAutoScrollChange).toHaveBeenCalledWith(false)
  })
})
