// What an application's bundle would import: the SDKs as published on npm.
import { AnalyticsBrowser } from '@segment/analytics-next'
import posthog from 'posthog-js'

window.TributarySdks = { AnalyticsBrowser, posthog }
