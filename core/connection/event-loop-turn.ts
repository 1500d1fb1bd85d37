let turn = 0;
let turnEnding = false;

/**
 * The current turn of the event loop, as far as reads are concerned: one
 * setImmediate for the whole process ends it, after all of the turn's reads.
 * Node may give one connection up to 32 reads in a turn, so a budget reset per
 * read would be no budget.
 */
export function currentTurn(): number {
  if (!turnEnding) {
    turnEnding = true;
    setImmediate(endTurn);
  }
  return turn;
}

function endTurn(): void {
  turn++;
  turnEnding = false;
}
