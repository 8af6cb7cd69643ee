package assess

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
)

// Cache holds the current facts of every household, sorted by village
// code, so a preview judges a million households in memory without
// reading them again. It is built on the first preview of a period and
// kept current by Household; a new month rebuilds it.
type Cache struct {
	mu     sync.RWMutex
	period policy.Period
	frame  *policy.Frame // sorted rows, then rows added since, unsorted
	sorted int           // rows [0, sorted) are in village order
	epoch  int64         // the registry epoch it was built at
	row    map[int64]int
	built  time.Duration
}

// update copies row r of f (one household's facts) into the cache.
func (c *Cache) update(f *policy.Frame, r int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := f.HouseholdID[r]
	if i, ok := c.row[id]; ok && c.frame.Village[i] == f.Village[r] {
		c.frame.CopyRow(i, f, r)
		return
	} else if ok {
		c.frame.HouseholdID[i] = -1 // moved village: tombstone the old row
	}
	i := c.frame.AddRow(id, f.Village[r])
	c.frame.CopyRow(i, f, r)
	c.row[id] = i
}

// cache returns the preview cache for the current period, building it
// when it is missing, from another month, or older than a bulk write
// (an import or the demo, which change households without Household).
func (a *Assessor) cache(ctx context.Context) (*Cache, error) {
	period := policy.PeriodOf(a.now())
	epoch, err := a.S.RegistryEpoch(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	c := a.preview
	a.mu.Unlock()
	if c != nil && c.period == period && c.epoch == epoch {
		return c, nil
	}
	c, err = a.BuildCache(ctx, period)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.preview = c
	a.mu.Unlock()
	return c, nil
}

// BuildCache derives the facts of every household for period.
func (a *Assessor) BuildCache(ctx context.Context, period policy.Period) (*Cache, error) {
	start := time.Now()
	epoch, err := a.S.RegistryEpoch(ctx)
	if err != nil {
		return nil, err
	}
	params, err := a.S.Params(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi, err := a.S.IDRange(ctx, "")
	if err != nil {
		return nil, err
	}
	// Each reader derives its share of the ID range into its own frame;
	// the frames are then merged in village order.
	parts := runtime.GOMAXPROCS(0)
	frames := make([]*policy.Frame, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	span := (hi - lo + int64(parts)) / int64(parts)
	for i := 0; i < parts; i++ {
		frames[i] = policy.NewFrame(int(span))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			f := frames[i]
			errs[i] = a.S.EachHouseholdFacts(ctx, "", lo+int64(i)*span, min(hi, lo+int64(i+1)*span-1), 1000, func(hs []registry.Household) error {
				for j := range hs {
					if err := policy.Derive(f, f.AddRow(hs[j].ID, hs[j].VillageCode), &hs[j], params, period); err != nil {
						return err
					}
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	type ref struct {
		f   *policy.Frame
		row int
	}
	var order []ref
	for _, f := range frames {
		for r := 0; r < f.Len(); r++ {
			order = append(order, ref{f, r})
		}
	}
	sort.Slice(order, func(x, y int) bool {
		a, b := order[x], order[y]
		if va, vb := a.f.Village[a.row], b.f.Village[b.row]; va != vb {
			return va < vb
		}
		return a.f.HouseholdID[a.row] < b.f.HouseholdID[b.row]
	})
	f := policy.NewFrame(len(order))
	c := &Cache{period: period, epoch: epoch, frame: f, row: make(map[int64]int, len(order))}
	for _, o := range order {
		i := f.AddRow(o.f.HouseholdID[o.row], o.f.Village[o.row])
		f.CopyRow(i, o.f, o.row)
		c.row[o.f.HouseholdID[o.row]] = i
	}
	c.sorted = f.Len()
	c.built = time.Since(start)
	return c, nil
}

// Match is one household an expression matched, with the inputs it read.
type Match struct {
	HouseholdID int64          `json:"household_id"`
	Number      string         `json:"number"`
	HeadName    string         `json:"head_name"`
	Village     string         `json:"village_code"`
	Status      string         `json:"status"`
	Inputs      map[string]any `json:"inputs"`
}

// Preview is the answer to a rule preview: nothing is stored.
type Preview struct {
	Expression string   `json:"expression"`
	Fields     []string `json:"fields"`
	Period     string   `json:"period"`
	Households int      `json:"households"` // judged in scope
	Matches    int      `json:"matches"`
	Errors     int      `json:"errors"` // households the expression could not judge
	First      []Match  `json:"first"`
}

// PreviewLimit is how many matching households a preview lists.
const PreviewLimit = 50

// Preview counts the households in the principal's scope for which expr
// is true, and lists the first PreviewLimit in village order. A bad
// expression is a fault.Invalid naming its line and column.
func (a *Assessor) Preview(ctx context.Context, p auth.Principal, expr string) (*Preview, error) {
	prg, err := policy.Compile("expression", expr)
	if err != nil {
		return nil, err
	}
	c, err := a.cache(ctx)
	if err != nil {
		return nil, err
	}
	out := &Preview{Expression: expr, Fields: prg.FieldNames(), Period: c.period.String(), First: []Match{}}
	params := policy.ParamMask(prg.Fields) // parameters the expression reads
	c.mu.RLock()
	lo, hi := auth.AreaRange(p.Area)
	f := c.frame
	start := sort.SearchStrings(f.Village[:c.sorted], lo)
	end := sort.SearchStrings(f.Village[:c.sorted], hi)
	rows := make([]int, 0, end-start+f.Len()-c.sorted)
	for r := start; r < end; r++ {
		rows = append(rows, r)
	}
	for r := c.sorted; r < f.Len(); r++ {
		if v := f.Village[r]; v >= lo && v < hi {
			rows = append(rows, r)
		}
	}
	// Judge in parallel over contiguous shares, keeping order for "first".
	workers := runtime.GOMAXPROCS(0)
	type share struct {
		matched []int
		count   int
		errs    int
		judged  int
	}
	shares := make([]share, workers)
	var wg sync.WaitGroup
	per := (len(rows) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sh := &shares[w]
			act := &policy.Activation{Frame: f}
			lo, hi := w*per, min((w+1)*per, len(rows))
			for _, r := range rows[min(lo, len(rows)):hi] {
				if f.HouseholdID[r] < 0 {
					continue
				}
				sh.judged++
				if f.Missing[r]&params != 0 {
					sh.errs++
					continue
				}
				act.Row = r
				ok, err := prg.Eval(act)
				if err != nil {
					sh.errs++
					continue
				}
				if ok {
					sh.count++
					if len(sh.matched) < PreviewLimit {
						sh.matched = append(sh.matched, r)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	var first []int
	for _, sh := range shares {
		out.Households += sh.judged
		out.Matches += sh.count
		out.Errors += sh.errs
		for _, r := range sh.matched {
			if len(first) < PreviewLimit {
				first = append(first, r)
			}
		}
	}
	type pick struct {
		id     int64
		inputs map[string]any
	}
	picks := make([]pick, len(first))
	for i, r := range first {
		in := map[string]any{}
		for _, fi := range prg.Fields {
			in[policy.Facts[fi].Name] = f.Value(fi, r)
		}
		picks[i] = pick{f.HouseholdID[r], in}
	}
	c.mu.RUnlock()
	for _, pk := range picks {
		h, err := a.S.GetHousehold(ctx, p, pk.id)
		if err != nil {
			continue // deleted since the cache was built
		}
		out.First = append(out.First, Match{HouseholdID: h.ID, Number: h.Number, HeadName: h.HeadName,
			Village: h.VillageCode, Status: h.Status, Inputs: pk.inputs})
	}
	return out, nil
}
