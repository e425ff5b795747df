import { Button } from '@/components/ui/button'
import { CodeBlock } from '@/components/ui/code-block'

export function SecretShown({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="space-y-4">
      <CodeBlock code={secret} label="Copy secret" ariaLabel="Signing secret" title="Signing secret — shown only now" />
      <p className="text-xs text-gray-600 dark:text-gray-400">
        Verify the <code className="font-mono">webhook-signature</code> header with it. Tributary never shows it again; rotate it if it is lost.
      </p>
      <div className="flex justify-end">
        <Button variant="primary" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  )
}
