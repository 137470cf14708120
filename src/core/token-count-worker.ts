/**
 * The token counting thread (token-counter.ts is the event loop's side): counts each text of each batch
 * it is sent, loading the tokenizer on its first batch. It keeps no counts: the event loop keeps those of
 * long texts and sends only the texts it has none for.
 */
import { serveRequests } from '../runtime/worker-requests.ts';
import { countTokens } from './token-count.ts';

serveRequests<string[][], number[][]>((batch) => batch.map((texts) => texts.map(countTokens)));
