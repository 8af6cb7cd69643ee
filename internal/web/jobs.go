package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/importer"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

// job is a long piece of work run in the background (an import, a full
// assessment, an export), whose page shows its progress until it ends.
// Jobs live in memory: a restart forgets them, never their results, which
// are in the database or in the file they wrote.
type job struct {
	mu sync.Mutex
	jobState
}

// jobState is what a job's page shows.
type jobState struct {
	ID       string
	Kind     string // import, assess, export
	Owner    string
	Started  time.Time
	Done     int
	Total    int // 0 when unknown
	Finished bool
	Err      string
	Import   *importer.Result
	Upload   string // the uploaded file, kept for the commit after a dry run
	Name     string // its name as uploaded, or of the file to download
	File     string // a file the job wrote, to download
	Summary  string
}

// snapshot copies the job's state for a template.
func (j *job) snapshot() jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jobState
}

func (j *job) progress(done int) {
	j.mu.Lock()
	j.Done = done
	j.mu.Unlock()
}

// Percent is the progress as a whole percentage, or -1 when the total is
// not known.
func (j jobState) Percent() int {
	if j.Total <= 0 {
		return -1
	}
	return min(100, j.Done*100/j.Total)
}

type jobs struct {
	mu  sync.Mutex
	all map[string]*job
	dir string // where uploads and job files are kept
}

func (js *jobs) start(owner, kind string, run func(j *job) error) *job {
	b := make([]byte, 12)
	rand.Read(b)
	j := &job{jobState: jobState{ID: hex.EncodeToString(b), Kind: kind, Owner: owner, Started: time.Now()}}
	js.mu.Lock()
	if js.all == nil {
		js.all = map[string]*job{}
	}
	js.all[j.ID] = j
	js.mu.Unlock()
	go func() {
		err := run(j)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.Finished = true
		if err != nil {
			j.Err = err.Error()
		}
	}()
	return j
}

// get returns a job of owner; anyone else's is not found.
func (js *jobs) get(owner, id string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j := js.all[id]; j != nil && j.Owner == owner {
		return j
	}
	return nil
}

func (h *Handler) jobDir() (string, error) {
	if h.jobs.dir == "" {
		dir, err := os.MkdirTemp("", "tuopin-jobs-")
		if err != nil {
			return "", err
		}
		h.jobs.dir = dir
	}
	return h.jobs.dir, nil
}

// importPage is the import form: a roster file, checked first (dry run)
// and committed after.
func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if !v.p.CanImport() {
		h.fail(w, r, v, fault.New(fault.Forbidden, "error.forbidden"))
		return
	}
	h.render(w, r, http.StatusOK, "import.html", v.page(v.t("ui.menu.import"), "import", nil))
}

// importSubmit keeps the uploaded file and starts a dry run of it.
func (h *Handler) importSubmit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if !v.p.CanImport() {
		h.fail(w, r, v, fault.New(fault.Forbidden, "error.forbidden"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 200<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		pg := v.page(v.t("ui.menu.import"), "import", nil)
		pg.Error = v.t("ui.choose_file")
		h.render(w, r, http.StatusUnprocessableEntity, "import.html", pg)
		return
	}
	defer f.Close()
	dir, err := h.jobDir()
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	ext := filepath.Ext(hdr.Filename)
	if ext != ".xlsx" && ext != ".csv" {
		ext = ".csv"
	}
	out, err := os.CreateTemp(dir, "upload-*"+ext)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if _, err := io.Copy(out, f); err != nil {
		out.Close()
		h.fail(w, r, v, err)
		return
	}
	out.Close()
	j := h.startImport(v.p, out.Name(), hdr.Filename, true)
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

func (h *Handler) startImport(p auth.Principal, path, name string, dry bool) *job {
	return h.jobs.start(p.Username, "import", func(j *job) error {
		j.mu.Lock()
		j.Upload, j.Name = path, name
		j.mu.Unlock()
		res, err := importer.Import(context.Background(), h.Store, path, importer.Options{DryRun: dry, Actor: p, Progress: j.progress, MaxErrors: 1000})
		res.File = name
		j.mu.Lock()
		j.Import = &res
		j.mu.Unlock()
		return err
	})
}

// importCommit imports for real the file of a dry run that found no
// errors.
func (h *Handler) importCommit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	j, ok := h.ownJob(w, r, v)
	if !ok {
		return
	}
	if !v.p.CanImport() {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	s := j.snapshot()
	if !s.Finished || s.Import == nil || !s.Import.DryRun || s.Import.ErrorCount > 0 {
		h.fail(w, r, v, fault.New(fault.Conflict, "error.conflict"))
		return
	}
	n := h.startImport(v.p, s.Upload, s.Name, false)
	http.Redirect(w, r, "/jobs/"+n.ID, http.StatusSeeOther)
}

// assessSubmit starts a full assessment of this month for the user's
// area (county office only).
func (h *Handler) assessSubmit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if !v.p.CanEditPolicy() {
		h.fail(w, r, v, fault.New(fault.Forbidden, "error.forbidden"))
		return
	}
	total, _, err := h.Store.Counts(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	p := v.p
	j := h.jobs.start(p.Username, "assess", func(j *job) error {
		j.mu.Lock()
		j.Total = int(total)
		j.mu.Unlock()
		period := policy.PeriodOf(h.Store.Now())
		run, err := h.Assess.Period(context.Background(), p, period, assess.Options{Progress: j.progress})
		if err != nil {
			return err
		}
		if _, err := h.Assess.SyncShortfalls(context.Background(), p, period); err != nil {
			return err
		}
		j.mu.Lock()
		j.Summary = i18n.T(i18n.ZH, "ui.assess_done", "households", strconv.Itoa(run.Households), "period", run.Period) + " / " +
			i18n.T(i18n.EN, "ui.assess_done", "households", strconv.Itoa(run.Households), "period", run.Period)
		j.mu.Unlock()
		return nil
	})
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// exportSubmit writes the households of an area (with the list's
// filters) to an Excel roster in the background.
func (h *Handler) exportSubmit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.Invalid, "reason.bad_form"))
		return
	}
	f := householdFilter(r.PostForm)
	f.Area = r.PostForm.Get("area")
	if f.Area != "" && !v.p.InScope(f.Area) {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	dir, err := h.jobDir()
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	p := v.p
	j := h.jobs.start(p.Username, "export", func(j *job) error {
		ctx := context.Background()
		x, err := importer.NewXLSXWriter()
		if err != nil {
			return err
		}
		count := f
		count.PageSize = 1
		if _, total, err := h.Store.ListHouseholds(ctx, p, count); err == nil {
			j.mu.Lock()
			j.Total = total
			j.mu.Unlock()
		}
		n := 0
		err = h.Store.EachHousehold(ctx, p, f, func(fh *store.FullHousehold) error {
			n++
			if n%500 == 0 {
				j.progress(n)
			}
			return x.Write(&fh.Household)
		})
		if err != nil {
			return err
		}
		j.progress(n)
		path := filepath.Join(dir, "export-"+j.ID+".xlsx")
		if err := x.SaveAs(path); err != nil {
			return err
		}
		j.mu.Lock()
		j.File, j.Name = path, "households-"+time.Now().Format("20060102")+".xlsx"
		j.mu.Unlock()
		return nil
	})
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// jobPage shows a job: its progress while it runs (the page asks again
// every second with htmx), then its outcome.
func (h *Handler) jobPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	j, ok := h.ownJob(w, r, v)
	if !ok {
		return
	}
	s := j.snapshot()
	name := "job.html"
	if r.Header.Get("HX-Request") == "true" {
		name = "jobpart"
	}
	h.render(w, r, http.StatusOK, name, v.page(v.t("ui.job."+s.Kind), s.Kind, s))
}

// jobFile downloads what a job wrote: an export, or an import's report.
func (h *Handler) jobFile(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	j, ok := h.ownJob(w, r, v)
	if !ok {
		return
	}
	s := j.snapshot()
	path, name := s.File, s.Name
	if s.Import != nil {
		// The report of an import: every error with its row and column,
		// and for a workbook a copy of the file with the cells marked.
		dir, err := h.jobDir()
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		ext := filepath.Ext(s.Upload)
		path = filepath.Join(dir, "report-"+s.ID+ext)
		name = "report-" + s.Name
		if err := importer.WriteReport(path, *s.Import, s.Upload); err != nil {
			h.fail(w, r, v, err)
			return
		}
	}
	if path == "" {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	http.ServeFile(w, r, path)
}

// ownJob finds the request's job among the user's own; any other is not
// found, and the error page is written.
func (h *Handler) ownJob(w http.ResponseWriter, r *http.Request, v *view) (*job, bool) {
	j := h.jobs.get(v.p.Username, r.PathValue("id"))
	if j == nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
	}
	return j, j != nil
}
