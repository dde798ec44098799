/**
 * The call button changes meaning under the pointer (Start becomes Cancel, End becomes Call again), so
 * the rest of a double-click, or of a double-tap, must not undo what its first click did. This guard
 * tells such a repeat from a click meant as the next action.
 */

/**
 * How long after a tap that started a call another tap, while the call is still starting, is taken as
 * the rest of a double-tap, not as Cancel: about a double-click's interval. A mouse counts its double-
 * clicks (event.detail 2), a touch screen does not always (detail stays 1); a deliberate Cancel comes later.
 */
export const REPEAT_CLICK_MS = 500;

/**
 * A click event as far as the guard reads it. `pointerType` is there where clicks are PointerEvents
 * (Chromium, current Firefox and Safari); without it a single click is treated as a possible tap.
 * @typedef {{detail: number, timeStamp: number, pointerType?: string}} ClickLike
 */

/**
 * A key held down on a button: the browser repeats its keydown, and each Enter clicks again, so holding
 * Enter on the call button started, cancelled, started and cancelled a call. Only the first press acts.
 * @param {{repeat: boolean, key: string}} event a keydown
 */
export function isHeldKey(event) {
  return event.repeat && (event.key === 'Enter' || event.key === ' ');
}

export class RepeatClickGuard {
  #startedAt = -Infinity;

  /**
   * After a click on the call button acted. Only a pointer's click that started a call arms the guard:
   * not a key, and not a click that only asked for consent (a Decline and a quick new click must ask again).
   * @param {ClickLike} event @param {boolean} started
   */
  acted(event, started) {
    this.#startedAt = event.detail && started ? event.timeStamp : -Infinity;
  }

  /**
   * A pointer click that only repeats the one before: the second (third…) click of a double-click, or,
   * while the call is starting, a tap soon after the tap that started it. A mouse's single click always
   * acts (its double-clicks are counted), and so do keyboard activation and click() from code (detail 0:
   * the keyboard has no double-click, and Enter must cancel at once). Once the call is up, End call acts
   * at once, however fast the call came up.
   * @param {ClickLike} event @param {boolean} starting the call is still starting
   */
  isRepeat(event, starting) {
    if (!event.detail) return false;
    if (event.detail > 1) return true;
    if (event.pointerType === 'mouse') return false;
    return starting && event.timeStamp - this.#startedAt < REPEAT_CLICK_MS;
  }
}
