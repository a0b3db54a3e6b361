// The order in which the configurations of one round run. Two alternate (a b, b a). Three or more follow a
// balanced design: round r runs the list rotated by floor(r / 2), reversed when r is odd (for three: abc, cba,
// bca, acb, cab, bac), so that over the rounds each goes first, in between and last equally often and each
// follows each other equally often; a quick run with two rounds gets abc, cba.

/** The configurations of `list` in the order of round `round` (0, 1, ...). */
export function roundOrder(list, round) {
  const shift = list.length > 2 ? Math.floor(round / 2) % list.length : 0;
  const rotated = [...list.slice(shift), ...list.slice(0, shift)];
  return round % 2 === 0 ? rotated : rotated.reverse();
}
