import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { RouterProvider } from 'react-router'
import { loadApiBase } from './api/base-url'
import { AppProvider } from './app/provider'
import { router } from './app/router'
import './index.css'

const root = document.getElementById('root')
if (!root) throw new Error('#root is missing from index.html')

// The API's address (config.json, else VITE_API_URL, else this origin) is settled before the
// first render, so no request or socket ever goes to the wrong place. A missing config.json
// costs one quick 404 (or index.html from a server that falls back to it).
void loadApiBase().then(() => {
  createRoot(root).render(
    <StrictMode>
      <AppProvider>
        <RouterProvider router={router} />
      </AppProvider>
    </StrictMode>,
  )
})
