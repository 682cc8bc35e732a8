//go:build race

package server

// raceSlowdown is how much slower the race detector makes the service:
// parsing and checking the XML signature of a 16 MB edXML package, about
// 1.5 s in a normal build, takes over 10 s under -race on a loaded 2-core
// machine. Time bounds in tests are multiplied by it; the benchmarks,
// built without -race, give the real figures.
const raceSlowdown = 6
