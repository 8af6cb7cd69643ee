// Package assess runs the monthly assessment (一月一研判): every
// household's latest facts judged against the rule sets in force,
// household by household and rule by rule, with the inputs and the rule
// version stored beside each outcome. It also explains a household's
// findings, replays a past period, previews a new expression over the
// county, and rolls findings up into the exit evaluation and the MPI.
package assess

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// Assessor runs assessments against a store.
type Assessor struct {
	S   *store.Store
	now func() time.Time

	mu       sync.Mutex
	compiled map[int64]*policy.Compiled // by rule-set ID; versions never change
	preview  *Cache
	// current caches what Household needs on every call, valid while the
	// policy epoch and the period stay the same.
	current struct {
		epoch  int64
		period policy.Period
		sets   []*policy.Compiled
		params *policy.Params
	}
}

// inForce returns the sets in force for period and the parameter table,
// from memory while no rule set or parameter has changed.
func (a *Assessor) inForce(ctx context.Context, period policy.Period) ([]*policy.Compiled, *policy.Params, error) {
	epoch, err := a.S.PolicyEpoch(ctx)
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	cur := a.current
	a.mu.Unlock()
	if cur.sets != nil && cur.epoch == epoch && cur.period == period {
		return cur.sets, cur.params, nil
	}
	sets, err := a.setsFor(ctx, period, nil)
	if err != nil {
		return nil, nil, err
	}
	params, err := a.S.Params(ctx)
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	a.current.epoch, a.current.period, a.current.sets, a.current.params = epoch, period, sets, params
	a.mu.Unlock()
	return sets, params, nil
}

// New makes an Assessor using the store's clock.
func New(s *store.Store) *Assessor {
	return &Assessor{S: s, now: s.Now, compiled: map[int64]*policy.Compiled{}}
}

// Compiled returns a rule-set version compiled, from the cache when it can.
func (a *Assessor) Compiled(rs *policy.RuleSet) (*policy.Compiled, error) {
	a.mu.Lock()
	c := a.compiled[rs.ID]
	a.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := rs.Compile()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.compiled[rs.ID] = c
	a.mu.Unlock()
	return c, nil
}

// compiledByID loads and compiles a version by ID.
func (a *Assessor) compiledByID(ctx context.Context, id int64) (*policy.Compiled, error) {
	a.mu.Lock()
	c := a.compiled[id]
	a.mu.Unlock()
	if c != nil {
		return c, nil
	}
	rs, err := a.S.RuleSet(ctx, id)
	if err != nil {
		return nil, err
	}
	return a.Compiled(rs)
}

// setsFor returns the compiled versions in force for a period, limited to
// the given codes when there are any.
func (a *Assessor) setsFor(ctx context.Context, period policy.Period, codes []string) ([]*policy.Compiled, error) {
	sets, err := a.S.RuleSetsInForce(ctx, period)
	if err != nil {
		return nil, err
	}
	var out []*policy.Compiled
	for _, rs := range sets {
		if len(codes) > 0 && !slices.Contains(codes, rs.Code) {
			continue
		}
		c, err := a.Compiled(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	for _, code := range codes {
		found := false
		for _, c := range out {
			found = found || c.Set.Code == code
		}
		if !found {
			return nil, fault.Fields([]fault.FieldError{{Field: "set", Value: code, Reason: i18n.M("reason.ruleset_not_in_force", "period", period.String())}})
		}
	}
	if len(out) == 0 {
		return nil, fault.New(fault.Invalid, "error.no_rulesets", "period", period.String())
	}
	return out, nil
}

func ids(sets []*policy.Compiled) []int64 {
	out := make([]int64, len(sets))
	for i, c := range sets {
		out[i] = c.Set.ID
	}
	return out
}

// Options tune a full run.
type Options struct {
	Sets     []string // rule-set codes; empty means all in force
	Workers  int      // evaluators; 0 means one per CPU
	Progress func(done int)
	// Judge replaces the rule sets with a function, for the benchmark that
	// sets hand-written Go beside CEL; it gets the set and returns masks.
	Judge func(c *policy.Compiled, f *policy.Frame, row int) (fail, errs uint64)
}

// evaluated is one worker's output for a batch of households.
type evaluated struct {
	findings  []store.Finding
	snapshots [][]byte
	failed    int
	errors    int
	err       error
}

const batchSize = 1000

// Period assesses every household in the principal's scope for period
// with the rule sets in force and stores the findings. Households stream
// from the store in batches, are judged by one worker per CPU and written
// by one writer, so memory stays flat at any size.
func (a *Assessor) Period(ctx context.Context, p auth.Principal, period policy.Period, opt Options) (*store.Run, error) {
	sets, err := a.setsFor(ctx, period, opt.Sets)
	if err != nil {
		return nil, err
	}
	params, err := a.S.Params(ctx)
	if err != nil {
		return nil, err
	}
	run := &store.Run{Period: period.String(), Area: p.Area, Actor: p.Username, Kind: "full"}
	if err := a.S.BeginRun(ctx, run, ids(sets)); err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan []*registry.Household, workers*2)
	out := make(chan *evaluated, workers*2)
	// Readers split the ID range: reading is most of a run's work, and
	// SQLite's read pool serves them side by side.
	lo, hi, err := a.S.IDRange(ctx, p.Area)
	if err != nil {
		return nil, err
	}
	readers := max(1, workers)
	readErrs := make([]error, readers)
	var rg sync.WaitGroup
	span := (hi - lo + int64(readers)) / int64(readers)
	for i := 0; i < readers; i++ {
		from, to := lo+int64(i)*span, min(hi, lo+int64(i+1)*span-1)
		rg.Add(1)
		go func() {
			defer rg.Done()
			readErrs[i] = a.S.EachHouseholdFacts(ctx, p.Area, from, to, batchSize, func(hs []registry.Household) error {
				batch := make([]*registry.Household, len(hs))
				for j := range hs {
					h := hs[j]
					batch[j] = &h
				}
				select {
				case in <- batch:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		}()
	}
	go func() { rg.Wait(); close(in) }()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := policy.NewFrame(batchSize)
			for batch := range in {
				out <- judgeBatch(f, batch, sets, params, period, run.ID, opt.Judge)
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()

	if err := a.S.BeginLongWrite(ctx); err != nil {
		return nil, err
	}
	// A background context: the connection must be restored even when
	// the run is cancelled.
	defer a.S.EndLongWrite(context.Background())
	w, err := a.S.NewFindingWriter(ctx, 50000)
	if err != nil {
		return nil, err
	}
	var werr error
	for ev := range out {
		if werr != nil {
			continue // drain so the workers can finish
		}
		if ev.err != nil {
			werr = ev.err
			cancel()
			continue
		}
		for i := range ev.findings {
			fd := &ev.findings[i]
			if ev.snapshots[i] != nil {
				if werr = w.Snapshot(fd.HouseholdID, fd.County, fd.Hash, ev.snapshots[i]); werr != nil {
					break
				}
			}
			if werr = w.Add(fd); werr != nil {
				break
			}
		}
		run.Households += len(ev.findings) / len(sets)
		run.Failed += ev.failed
		run.Errors += ev.errors
		if opt.Progress != nil {
			opt.Progress(run.Households)
		}
		if werr != nil {
			cancel()
		}
	}
	for _, readErr := range readErrs {
		if werr == nil && readErr != nil && !errors.Is(readErr, context.Canceled) {
			werr = readErr
		}
	}
	if werr != nil {
		w.Rollback()
		return run, werr
	}
	if err := w.Close(); err != nil {
		return run, err
	}
	return run, a.S.FinishRun(ctx, run, ids(sets))
}

// judgeBatch derives and judges a batch. Each household yields one
// finding per set; the snapshot is attached to the first of them only.
func judgeBatch(f *policy.Frame, batch []*registry.Household, sets []*policy.Compiled, params *policy.Params, period policy.Period, runID int64,
	judge func(*policy.Compiled, *policy.Frame, int) (uint64, uint64)) *evaluated {
	ev := &evaluated{}
	f.Reset()
	act := &policy.Activation{Frame: f}
	per := period.String()
	// One buffer holds the batch's snapshots; each is a sub-slice of it.
	buf := make([]byte, 0, len(batch)*300)
	for _, h := range batch {
		row := f.AddRow(h.ID, h.VillageCode)
		if err := policy.Derive(f, row, h, params, period); err != nil {
			ev.err = err
			return ev
		}
		start := len(buf)
		buf = f.AppendSnapshot(buf, row)
		snap := buf[start:len(buf):len(buf)]
		hash := policy.SnapshotHash(snap)
		act.Row = row
		anyFail := false
		for i, c := range sets {
			fd := store.Finding{HouseholdID: h.ID, Period: per, RuleSetID: c.Set.ID, County: h.County,
				Village: h.VillageCode, Status: h.Status, Persons: int(f.Int(personsFact, row)), Hash: hash, RunID: runID}
			if err := c.Check(f, row); err != nil {
				all := uint64(1)<<len(c.Programs) - 1
				fd.Fail, fd.Errs = all, all
			} else if judge != nil {
				fd.Fail, fd.Errs = judge(c, f, row)
			} else {
				fd.Fail, fd.Errs = c.Eval(act)
			}
			if fd.Errs != 0 {
				ev.errors++
			}
			if fd.Fail != 0 && c.Set.Kind == policy.KindExit {
				anyFail = true
			}
			ev.findings = append(ev.findings, fd)
			if i == 0 {
				ev.snapshots = append(ev.snapshots, snap)
			} else {
				ev.snapshots = append(ev.snapshots, nil)
			}
		}
		if anyFail {
			ev.failed++
		}
	}
	return ev
}

var personsFact = policy.MustFact("persons")

// Household re-assesses one household for the current period, as soon as
// its facts change, and refreshes its row in the preview cache.
func (a *Assessor) Household(ctx context.Context, id int64) error {
	period := policy.PeriodOf(a.now())
	sets, params, err := a.inForce(ctx, period)
	if err != nil {
		return err
	}
	h, err := a.S.GetHousehold(ctx, auth.System("assess"), id)
	if err != nil {
		return err
	}
	w, err := a.S.NewFindingWriter(ctx, 1000)
	if err != nil {
		return err
	}
	f := policy.NewFrame(1)
	if err := a.judgeInto(w, f, &h, sets, params, period); err != nil {
		w.Rollback()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return a.afterHousehold(ctx, sets, f)
}

// RecordVisit stores a visit and re-assesses its household in the same
// transaction, so the findings, the shortfall items and the board move
// with the visit or not at all.
func (a *Assessor) RecordVisit(ctx context.Context, p auth.Principal, v *registry.Visit) error {
	period := policy.PeriodOf(a.now())
	sets, params, err := a.inForce(ctx, period)
	if err != nil {
		return err
	}
	f := policy.NewFrame(1)
	err = a.S.RecordVisitThen(ctx, p, v, func(w *store.FindingWriter, h *registry.Household) error {
		f.Reset()
		return a.judgeInto(w, f, h, sets, params, period)
	})
	if err != nil {
		return err
	}
	return a.afterHousehold(ctx, sets, f)
}

// judgeInto judges one household with sets and queues its run row,
// snapshots and findings on w; the exit set's failures open shortfall
// items and its passes resolve them, in the same transaction.
func (a *Assessor) judgeInto(w *store.FindingWriter, f *policy.Frame, h *registry.Household, sets []*policy.Compiled, params *policy.Params, period policy.Period) error {
	// The run's ID, later than any full run already going, keeps this
	// finding from that run's clean-up.
	run := &store.Run{Period: period.String(), Area: h.VillageCode, Actor: "assess", Kind: "household", Households: 1}
	if err := w.BeginRun(run, ids(sets)); err != nil {
		return err
	}
	ev := judgeBatch(f, []*registry.Household{h}, sets, params, period, run.ID, nil)
	if ev.err != nil {
		return ev.err
	}
	for i := range ev.findings {
		if ev.snapshots[i] != nil {
			if err := w.Snapshot(h.ID, h.County, ev.findings[i].Hash, ev.snapshots[i]); err != nil {
				return err
			}
		}
		if err := w.Add(&ev.findings[i]); err != nil {
			return err
		}
		if c := sets[i%len(sets)]; c.Set.Kind == policy.KindExit {
			if err := w.SyncShortfalls(c.Set, ev.findings[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterHousehold marks the sets used and updates the preview cache with
// the household just judged (row 0 of f).
func (a *Assessor) afterHousehold(ctx context.Context, sets []*policy.Compiled, f *policy.Frame) error {
	var unused []int64
	for _, c := range sets {
		if !c.Set.Used {
			unused = append(unused, c.Set.ID)
		}
	}
	if len(unused) > 0 {
		if err := a.S.MarkUsed(ctx, unused); err != nil {
			return err
		}
		a.mu.Lock()
		for _, c := range sets {
			c.Set.Used = true
		}
		a.mu.Unlock()
	}
	a.mu.Lock()
	c := a.preview
	a.mu.Unlock()
	if c != nil {
		c.update(f, 0)
	}
	return nil
}

// SyncShortfalls opens and resolves shortfall items for a period's exit
// findings in the principal's scope, after a full run.
func (a *Assessor) SyncShortfalls(ctx context.Context, p auth.Principal, period policy.Period) (int, error) {
	c, err := a.setOfPeriod(ctx, p.Area, period.String(), policy.KindExit, "")
	if err != nil {
		return 0, err
	}
	return a.S.SyncPeriodShortfalls(ctx, c.Set, period.String(), p.Area)
}
