// Loading, error and empty states shared by the pages, so every screen says what is going
// on in the same words and shapes.
import React from 'react';
import { Alert, Button, EmptyState, LoadingPlaceholder } from '@grafana/ui';

export function Loading({ text, testId }: { text: string; testId?: string }) {
  return (
    <div data-testid={testId} aria-live="polite">
      <LoadingPlaceholder text={text} />
    </div>
  );
}

export function ErrorState({
  title,
  error,
  onRetry,
  testId,
}: {
  title: string;
  error: Error | string;
  onRetry?: () => void;
  testId?: string;
}) {
  return (
    <div data-testid={testId}>
      <Alert severity="error" title={title}>
        <p>{typeof error === 'string' ? error : error.message}</p>
        {onRetry && (
          <Button variant="secondary" size="sm" icon="sync" onClick={onRetry}>
            Retry
          </Button>
        )}
      </Alert>
    </div>
  );
}

export function Empty({ message, children, testId }: { message: string; children?: React.ReactNode; testId?: string }) {
  return (
    <div data-testid={testId}>
      <EmptyState variant="not-found" message={message}>
        {children}
      </EmptyState>
    </div>
  );
}
