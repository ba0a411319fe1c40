//go:build race

package face

// raceSlowdown scales CPU budgets of tests under the race detector.
const raceSlowdown = 10
