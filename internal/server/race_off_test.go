//go:build !race

package server

// raceSlowdown: see race_on_test.go.
const raceSlowdown = 1
