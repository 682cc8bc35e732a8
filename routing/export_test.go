package routing

// OutsideReach exposes the relay's reach check to the benchmarks.
var OutsideReach = (*Service).outsideReach

// RawIndicators exposes the computation of the indicators from the raw
// rows: the summaries' reference in tests, the benchmarks' baseline.
var RawIndicators = (*Service).rawIndicators
