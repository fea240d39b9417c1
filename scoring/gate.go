package scoring

import "github.com/nhs-jigsaw/jigsaw/verdict"

// GatedLevel is the level reached on a ladder whose every rung needs the one below it:
// gates[i] are the findings level i+1 requires. The level is the number of leading rungs whose
// findings all pass; a rung with a finding that is not a pass (fail, warn, or anything that is
// not a judgement) stops the climb, so nothing reaches a level by default. An empty rung holds.
func GatedLevel(gates [][]verdict.Finding) int {
	for i, rung := range gates {
		for _, f := range rung {
			if f.Status != verdict.Pass {
				return i
			}
		}
	}
	return len(gates)
}
