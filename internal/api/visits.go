package api

import (
	"net/http"
	"strconv"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// registerVisits adds the routes of the monthly visit (一月一走访).
func (h *Handler) registerVisits(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/visits", h.auth(h.recordVisit))
	mux.Handle("GET /api/v1/households/{id}/visits", h.auth(h.listVisits))
	mux.Handle("GET /api/v1/visits/{id}", h.auth(h.getVisit))
	mux.Handle("GET /api/v1/coverage", h.auth(h.coverage))
}

// recordVisit stores a visit, re-assesses the household at once and
// answers with both, so the visitor sees the new findings.
func (h *Handler) recordVisit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var v registry.Visit
	if err := decode(r, &v); err != nil {
		return err
	}
	v.ID = 0
	if h.Assess != nil {
		if err := h.Assess.RecordVisit(r.Context(), p, &v); err != nil {
			return err
		}
	} else if err := h.Store.RecordVisit(r.Context(), p, &v); err != nil {
		return err
	}
	out := struct {
		Visit      registry.Visit      `json:"visit"`
		Assessment *assess.Explanation `json:"assessment"`
	}{Visit: v}
	if h.Assess != nil {
		if ex, err := h.Assess.Explain(r.Context(), p, v.HouseholdID, policy.PeriodOf(h.Store.Now()).String()); err == nil {
			out.Assessment = ex
		}
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (h *Handler) listVisits(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	vs, err := h.Store.Visits(r.Context(), p, id)
	if err != nil {
		return err
	}
	return list(w, vs, len(vs))
}

func (h *Handler) getVisit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.Store.Visit(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// areaShortfalls lists an area's items: ?area=&status=&indicator=
// &overdue=1&after=ID&limit=N.
func (h *Handler) areaShortfalls(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	xs, err := h.Store.ListShortfalls(r.Context(), p, store.ShortfallFilter{Area: q.Get("area"), Status: q.Get("status"), Indicator: q.Get("indicator"),
		Overdue: q.Get("overdue") == "1", AfterID: after, Limit: limit})
	if err != nil {
		return err
	}
	return list(w, xs, len(xs))
}

func (h *Handler) coverage(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := h.period(r)
	cov, err := h.Store.VisitCoverage(r.Context(), p, q.Get("area"), period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cov)
	return nil
}

// registerShortfalls adds the routes of shortfall work (一月一解决).
func (h *Handler) registerShortfalls(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/households/{id}/shortfalls", h.auth(h.listShortfalls))
	mux.Handle("GET /api/v1/shortfalls", h.auth(h.areaShortfalls))
	mux.Handle("POST /api/v1/shortfalls/{id}/actions", h.auth(step(h.Store.ActOnShortfall)))
	mux.Handle("GET /api/v1/board", h.auth(h.board))
}

// board answers the 清零 board for ?area=CODE&period=YYYY-MM.
func (h *Handler) board(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := h.period(r)
	b, err := h.Store.Board(r.Context(), p, q.Get("area"), period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (h *Handler) listShortfalls(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	items, err := h.Store.Shortfalls(r.Context(), p, id)
	if err != nil {
		return err
	}
	return list(w, items, len(items))
}

// actOnShortfall takes {"action": "plan"|"resolve"|"verify"|"reopen",
// "version": N, …} and answers the item as it now is.

// registerSampling adds the routes of re-verification (抽查).
func (h *Handler) registerSampling(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/samples", h.auth(h.drawSample))
	mux.Handle("GET /api/v1/samples", h.auth(h.listSamples))
	mux.Handle("POST /api/v1/samples/{id}/check", h.auth(h.checkSample))
}

func (h *Handler) drawSample(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body struct {
		Period     string `json:"period"`
		Area       string `json:"area"`
		PerVillage int    `json:"per_village"`
		Seed       int64  `json:"seed"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	xs, err := h.Store.DrawSample(r.Context(), p, body.Period, body.Area, body.PerVillage, body.Seed)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"items": xs, "total": len(xs)})
	return nil
}

func (h *Handler) listSamples(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := h.period(r)
	xs, err := h.Store.Samples(r.Context(), p, period, q.Get("area"))
	if err != nil {
		return err
	}
	return list(w, xs, len(xs))
}

func (h *Handler) checkSample(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Facts registry.VisitFacts `json:"facts"`
		Note  string              `json:"note"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	out, err := h.Assess.Check(r.Context(), p, id, body.Facts, body.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
