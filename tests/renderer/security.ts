// Secure backup and emoji verification, driven through the renderer's UI as a person would, and the
// matching steps on a matrix-js-sdk peer (Rust crypto) in the test process.
import type { MatrixClient } from 'matrix-js-sdk';
import {
  CryptoEvent,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { Page } from 'playwright-core';

/** Sets up secure backup from the sidebar prompt; returns the recovery key the page showed. */
export async function setUpSecureBackupThroughUi(page: Page): Promise<string> {
  await page.getByRole('region', { name: 'Set up secure backup' }).getByRole('button', { name: 'Set up secure backup' }).click();
  const dialog = page.getByRole('dialog', { name: 'Set up secure backup' });
  const keyBox = dialog.getByRole('status', { name: 'Your recovery key' });
  await page.waitForFunction(() => /^(\w{4} ){10,}\w{1,4}$/.test(document.querySelector('#setup-recovery-key')?.textContent?.trim() ?? ''));
  const key = (await keyBox.textContent())!.trim();
  await dialog.getByLabel('I saved my recovery key').check();
  await dialog.getByRole('button', { name: 'Turn on secure backup' }).click();
  await dialog.getByText('Secure backup is on.').waitFor({ timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Close' }).click();
  return key;
}

/** The 7 emoji the page shows, as [symbol, name] pairs in order. */
export async function emojiShownInPage(page: Page): Promise<[string, string][]> {
  const items = page.getByRole('list', { name: 'Emoji to compare' }).getByRole('listitem');
  await items.nth(6).waitFor();
  return items.evaluateAll((lis) => lis.map((li) => [li.querySelector('.symbol')!.textContent!, li.querySelector('.name')!.textContent!] as [string, string]));
}

/** Resolves with the next verification request the peer receives. */
export function nextVerificationRequest(client: MatrixClient, timeoutMs = 30_000): Promise<VerificationRequest> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${client.getUserId()}: no verification request within ${timeoutMs} ms`)), timeoutMs);
    client.once(CryptoEvent.VerificationRequestReceived, (request) => {
      clearTimeout(timer);
      resolve(request);
    });
  });
}

/** Resolves once the request reaches the phase (or rejects if it is cancelled first). */
export function reachPhase(request: VerificationRequest, phase: VerificationPhase, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (request.phase >= phase && !(request.phase === VerificationPhase.Cancelled && phase !== VerificationPhase.Cancelled)) done(resolve);
      else if (request.phase === VerificationPhase.Cancelled) done(() => reject(new Error(`verification cancelled: ${request.cancellationCode}`)));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`verification stuck in phase ${request.phase}, waiting for ${phase}`))), timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      request.off(VerificationRequestEvent.Change, check);
      settle();
    };
    request.on(VerificationRequestEvent.Change, check);
    check();
  });
}

/**
 * On the peer: runs the SAS verifier of a started request (started by either side) and resolves
 * with its emoji callbacks, plus the promise of the whole exchange finishing.
 */
export async function peerSas(request: VerificationRequest): Promise<{ sas: ShowSasCallbacks; finished: Promise<void> }> {
  await reachPhase(request, VerificationPhase.Started);
  const verifier = request.verifier!;
  const shown = new Promise<ShowSasCallbacks>((resolve) => {
    const already = verifier.getShowSasCallbacks();
    if (already) resolve(already);
    else verifier.once(VerifierEvent.ShowSas, resolve);
  });
  const finished = verifier.verify();
  return { sas: await shown, finished };
}
