//go:build !race

package recipient

const raceEnabled = false
