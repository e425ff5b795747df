import { Button } from '@/components/ui/button'
import { CodeBlock } from '@/components/ui/code-block'

/**
 * The signing secret of a `v1` endpoint (shown only at creation and rotation), or the public
 * key of a `v1a` (ed25519) one, whose secret key never leaves the server.
 */
export function SecretShown({ secret, publicKey, onDone }: { secret?: string | null; publicKey?: string | null; onDone: () => void }) {
  return (
    <div className="space-y-4">
      {secret ? (
        <>
          <CodeBlock code={secret} label="Copy secret" ariaLabel="Signing secret" title="Signing secret — shown only now" />
          <p className="text-xs text-gray-600 dark:text-gray-400">
            Verify the <code className="font-mono">webhook-signature</code> header with it. Tributary never shows it again; rotate it if it is lost.
          </p>
        </>
      ) : (
        <>
          <CodeBlock code={publicKey ?? ''} label="Copy public key" ariaLabel="Public key" title="Public key (ed25519, v1a)" />
          <p className="text-xs text-gray-600 dark:text-gray-400">
            Verify the <code className="font-mono">v1a</code> signatures of the <code className="font-mono">webhook-signature</code> header with it. It is not secret; the endpoint shows it any time.
          </p>
        </>
      )}
      <div className="flex justify-end">
        <Button variant="primary" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  )
}
