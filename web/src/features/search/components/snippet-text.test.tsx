import { render, screen } from '@testing-library/react'
import { SnippetText } from './snippet-text'

describe('SnippetText', () => {
  it('marks the matching pieces', () => {
    render(<SnippetText snippet={{ field: 'message', text: 'the card declined twice', fragments: [{ text: 'the ', highlight: false }, { text: 'card', highlight: true }, { text: ' ', highlight: false }, { text: 'declined', highlight: true }, { text: ' twice', highlight: false }] }} />)
    expect(screen.getByTestId('snippet')).toHaveTextContent('the card declined twice')
    expect(Array.from(document.querySelectorAll('mark')).map((m) => m.textContent)).toEqual(['card', 'declined'])
  })

  it('renders markup in event data as text, never as HTML', () => {
    const evil = '<img src=x onerror="alert(1)"><b>bold</b>'
    render(<SnippetText snippet={{ field: 'note', text: evil, fragments: [{ text: evil, highlight: true }] }} />)
    expect(document.querySelector('img')).toBeNull()
    expect(document.querySelector('b')).toBeNull()
    expect(screen.getByTestId('snippet')).toHaveTextContent(evil)
  })

  it('falls back to the text when there are no fragments', () => {
    render(<SnippetText snippet={{ field: 'page', text: '/pricing', fragments: [] }} />)
    expect(screen.getByTestId('snippet')).toHaveTextContent('/pricing')
    expect(document.querySelector('mark')).toBeNull()
  })
})
