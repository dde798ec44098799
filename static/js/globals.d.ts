// Types the browser modules share with host pages, for the type check only (tsconfig.json): the
// element's tag and its `itellico-call:*` events, so `document.querySelector('itellico-call')` and a
// listener's `event.detail` are typed wherever they are used.
import type { ItellicoCallElement } from './itellico-call.js';
import type { CallEventDetails } from './call-events.js';

type ElementEvents = {
  [K in 'state' | 'agent-state' | 'transcript' | 'error' | 'ended' as `itellico-call:${K}`]: CustomEvent<CallEventDetails[K]>;
};

declare global {
  interface HTMLElementTagNameMap {
    'itellico-call': ItellicoCallElement;
  }
  interface HTMLElementEventMap extends ElementEvents {}
  interface DocumentEventMap extends ElementEvents {}
}
