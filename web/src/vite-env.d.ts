/// <reference types="vite/client" />
import '@tanstack/react-query'

declare global {
  interface ImportMetaEnv {
    /** The server's address when the dashboard is hosted elsewhere (config.json's `apiUrl` wins). */
    readonly VITE_API_URL?: string
  }
}

declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: { silent?: boolean }
    mutationMeta: { silent?: boolean; errorContext?: string }
  }
}
