// The metadata the preview offers when the tenant has no events yet, or to try values of one's
// own: one of each kind of personal data the rules and detectors deal with.
export const SAMPLE_METADATA = {
  email: 'ann.lee@example.com',
  user: { id: 'u-42', name: 'Ann Lee', phone: '+49 30 1234 5678' },
  payment: { card: '4242 4242 4242 4242', iban: 'DE89 3704 0044 0532 0130 00', amount: 49 },
  context: { ip: '203.0.113.7', page: '/checkout' },
  note: 'call +49 30 1234 5678 or write to ann.lee@example.com',
  plan: 'pro',
}

/** The preview's `?preview=` value for the sample (anything else is an event id). */
export const SAMPLE = 'sample'

/** Why a sample text cannot be an event's metadata, or null when it can. */
export function sampleShapeError(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'The sample is an event’s metadata: a JSON object, {"key": value, …}'
  return null
}
