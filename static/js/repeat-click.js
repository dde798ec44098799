/**
 * The call button changes meaning under the pointer (Start becomes Cancel, End becomes Call again), so
 * the rest of a double-click, or of a double-tap, must not undo what its first click did. This guard
 * tells such a repeat from a click meant as the next action.
 */

/**
 * How long after a click that started a call another pointer click, while the call is still starting,
 * is taken as the rest of a double-click or double-tap, not as Cancel: about a double-click's interval.
 * A touch double-tap does not always count as one (event.detail stays 1); a deliberate Cancel comes later.
 */
export const REPEAT_CLICK_MS = 500;

export class RepeatClickGuard {
  #startedAt = -Infinity;

  /**
   * After a click on the call button acted. Only a pointer's click that started a call arms the guard:
   * not a key, and not a click that only asked for consent (a Decline and a quick new click must ask again).
   * @param {{detail: number, timeStamp: number}} event @param {boolean} started
   */
  acted(event, started) {
    this.#startedAt = event.detail && started ? event.timeStamp : -Infinity;
  }

  /**
   * A pointer click that only repeats the one before: the second (third…) click of a double-click, or,
   * while the call is starting, a click soon after the click that started it. Keyboard activation and
   * click() from code have detail 0: they always act (the keyboard has no double-click, and Enter must
   * cancel at once). Once the call is up, End call acts at once, however fast the call came up.
   * @param {{detail: number, timeStamp: number}} event @param {boolean} starting the call is still starting
   */
  isRepeat(event, starting) {
    if (!event.detail) return false;
    if (event.detail > 1) return true;
    return starting && event.timeStamp - this.#startedAt < REPEAT_CLICK_MS;
  }
}
