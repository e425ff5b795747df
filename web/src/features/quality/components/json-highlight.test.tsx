import { render } from '@testing-library/react'
import { JsonHighlight } from './json-highlight'

const marks = (container: HTMLElement) => [...container.querySelectorAll('mark')].map((m) => [m.dataset.violationPath, m.textContent])

describe('JsonHighlight', () => {
  it('marks a nested value, an array item and an escaped key, and nothing else', () => {
    const { container } = render(
      <JsonHighlight value={{ user: { plan: 'gold' }, items: [{ sku: 1 }, { sku: 'x' }], 'a/b': true, ok: 1 }} paths={['/user/plan', '/items/1/sku', '/a~1b', '/missing']} label="m" />,
    )
    expect(marks(container)).toEqual([
      ['/user/plan', '"plan": "gold"'],
      ['/items/1/sku', '"sku": "x"'],
      ['/a~1b', '"a/b": true'],
    ])
  })
  it('marks a whole object when the violation is on it, and renders the JSON as text', () => {
    const { container } = render(<JsonHighlight value={{ user: { html: '<b>x</b>' } }} paths={['/user']} label="m" />)
    expect(marks(container)).toEqual([['/user', '"user": {\n    "html": "<b>x</b>"\n  }']])
    expect(container.querySelector('b')).toBeNull()
    expect(JSON.parse(container.querySelector('pre')!.textContent!)).toEqual({ user: { html: '<b>x</b>' } })
  })
})
