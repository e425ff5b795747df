/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig, loadEnv } from 'vite'

// `npm run dev` (what `make dev` runs): Vite's dev server with hot reload, proxying the API, the
// live stream's WebSocket and the operational endpoints to a server started separately, by
// default on :8080 (`TRIBUTARY_URL`, else `VITE_API_URL`, overrides it). The page then talks to
// its own origin, so no CORS setting is needed. (With `VITE_API_URL` set the dashboard calls that
// server directly instead, and the server must list http://localhost:5173 in http.cors_origins.)
// `npm run build` writes web/dist, which the server serves.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), '')
  const target = env.TRIBUTARY_URL || env.VITE_API_URL || 'http://127.0.0.1:8080'
  return {
    plugins: [react(), tailwindcss()],
    resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
    server: {
      proxy: {
        '/api': { target, ws: true },
        '/health': { target },
        '/ready': { target },
        '/metrics': { target },
      },
    },
    build: { sourcemap: false, chunkSizeWarningLimit: 800 },
    test: {
      environment: 'jsdom',
      globals: true,
      setupFiles: ['./src/testing/setup.ts'],
      include: ['src/**/*.test.{ts,tsx}'],
      css: false,
    },
  }
})
