package policy

// Indices of facts only the hand-written rules read.
var (
	fIncomeLine, fWaterLitresMin = MustFact("income_line"), MustFact("water_litres_min")
	fWaterMinutesMax, fOutageMax = MustFact("water_minutes_max"), MustFact("water_outage_max")
)

// HandwrittenExit is the exit-2016 rule set written in Go, bit for bit:
// bit i of the result is set when rule i of builtin/exit-2016.json fails.
// It exists to cross-check the CEL path in tests and to measure what CEL
// costs against plain Go in the benchmarks; assessments never use it.
func HandwrittenExit(f *Frame, r int) uint64 {
	var fail uint64
	set := func(i int, ok bool) {
		if !ok {
			fail |= 1 << i
		}
	}
	set(0, f.Int(fIncomeYear, r) > 0 && f.Int(fPerCapita, r) > f.Int(fIncomeLine, r))
	set(1, f.Bool(fFood, r))
	set(2, f.Bool(fClothing, r))
	set(3, f.Int(fOutOfSchool, r) == 0)
	set(4, f.Int(fNoMedical, r) == 0)
	set(5, f.Int(fNoCritical, r) == 0)
	g := f.Str(fGrade, r)
	set(6, g == "A" || g == "B" || f.Str(fRelocation, r) != "none")
	set(7, f.Int(fWaterLitres, r) >= f.Int(fWaterLitresMin, r))
	q := f.Str(fWaterQuality, r)
	set(8, q == "tested" || q == "basic")
	set(9, f.Str(fWaterSource, r) == "tap" || f.Int(fWaterMinutes, r) <= f.Int(fWaterMinutesMax, r))
	set(10, f.Int(fWaterOutage, r) <= f.Int(fOutageMax, r))
	set(11, f.Int(fIdentified, r) < f.Int(fPeriodYear, r))
	return fail
}
