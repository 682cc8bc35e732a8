package routing

// OutsideReach exposes the relay's reach check to the benchmarks.
var OutsideReach = (*Service).outsideReach
