package api

import (
	"context"
	"net/http"
	"strconv"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// registerPolicy adds the routes of the assessment (一月一研判).
func (h *Handler) registerPolicy(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/households/{id}/assessment", h.auth(h.assessment))
	mux.Handle("PUT /api/v1/households/{id}/incomes/{year}", h.auth(h.saveIncome))
	mux.Handle("GET /api/v1/facts", h.auth(h.facts))
	mux.Handle("GET /api/v1/rulesets", h.auth(h.listRuleSets))
	mux.Handle("GET /api/v1/rulesets/{id}", h.auth(h.getRuleSet))
	mux.Handle("POST /api/v1/rulesets", h.auth(h.saveRuleSet))
	mux.Handle("POST /api/v1/rules/preview", h.auth(h.preview))
	mux.Handle("GET /api/v1/params", h.auth(h.listParams))
	mux.Handle("PUT /api/v1/params", h.auth(h.saveParam))
	mux.Handle("GET /api/v1/exit", h.auth(h.exitReport))
	mux.Handle("GET /api/v1/mpi", h.auth(h.mpi))
	mux.Handle("POST /api/v1/verifications", h.auth(h.addVerification))
	mux.Handle("POST /api/v1/surveys", h.auth(h.addSurvey))
}

// reassess judges a household again after its facts changed. The change
// is already committed, so a failure here is logged, not returned: the
// next full run catches the household up.
func (h *Handler) reassess(ctx context.Context, id int64) {
	if h.Assess == nil {
		return
	}
	if err := h.Assess.Household(ctx, id); err != nil && h.Log != nil {
		h.Log.Error("re-assessment failed", "household", id, "err", err)
	}
}

func (h *Handler) assessment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ex, err := h.Assess.Explain(r.Context(), p, id, r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ex)
	return nil
}

func (h *Handler) saveIncome(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in registry.Income
	if err := decode(r, &in); err != nil {
		return err
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return fault.New(fault.NotFound, "error.not_found")
	}
	in.Year = year
	if err := h.Store.SaveIncome(r.Context(), p, id, &in); err != nil {
		return err
	}
	h.reassess(r.Context(), id)
	writeJSON(w, http.StatusOK, in)
	return nil
}

// factJSON describes a fact for rule authors.
type factJSON struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Money  bool     `json:"money,omitempty"`
	Param  string   `json:"param,omitempty"`
	Values []string `json:"values,omitempty"`
	DescZh string   `json:"desc_zh"`
	DescEn string   `json:"desc_en"`
}

func (h *Handler) facts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	out := make([]factJSON, len(policy.Facts))
	for i, f := range policy.Facts {
		m := i18n.M("fact." + f.Name)
		out[i] = factJSON{Name: f.Name, Type: f.Type.String(), Money: f.Money, Param: f.Param, Values: registry.Lists[f.List],
			DescZh: m.In(i18n.ZH), DescEn: m.In(i18n.EN)}
	}
	return list(w, out, len(out))
}

func (h *Handler) listRuleSets(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	sets, err := h.Store.RuleSets(r.Context(), r.URL.Query().Get("all") == "1")
	if err != nil {
		return err
	}
	return list(w, sets, len(sets))
}

func (h *Handler) getRuleSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rs, err := h.Store.RuleSet(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (h *Handler) saveRuleSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.CanEditPolicy() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	var rs policy.RuleSet
	if err := decode(r, &rs); err != nil {
		return err
	}
	saved, err := h.Store.SaveRuleSet(r.Context(), p.Username, &rs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, saved)
	return nil
}

// preview answers 400 for an expression that does not compile, with the
// line and column in the field errors.
func (h *Handler) preview(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body struct {
		Expression string `json:"expression"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	out, err := h.Assess.Preview(r.Context(), p, body.Expression)
	if err != nil {
		if fault.KindOf(err) == fault.Invalid {
			h.failStatus(w, r, err, http.StatusBadRequest)
			return nil
		}
		return err
	}
	if !p.SeesPersonal() {
		for i := range out.First {
			out.First[i].HeadName = maskName(out.First[i].HeadName)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// maskName keeps the family name only (王**), for roles that do not see
// personal data.
func maskName(s string) string {
	rs := []rune(s)
	if len(rs) <= 1 {
		return s
	}
	out := string(rs[0])
	for range rs[1:] {
		out += "*"
	}
	return out
}

func (h *Handler) listParams(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ps, err := h.Store.Params(r.Context())
	if err != nil {
		return err
	}
	all := ps.All()
	return list(w, all, len(all))
}

func (h *Handler) saveParam(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.CanEditPolicy() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	var prm policy.Param
	if err := decode(r, &prm); err != nil {
		return err
	}
	if err := h.Store.SaveParam(r.Context(), p.Username, prm); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, prm)
	return nil
}

func (h *Handler) exitReport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	rep, err := h.Assess.ExitReport(r.Context(), p, q.Get("area"), q.Get("period"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (h *Handler) mpi(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	m, err := h.Assess.MPI(r.Context(), p, q.Get("area"), q.Get("period"), q.Get("set"), q.Get("k"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (h *Handler) addVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.CanVerify() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	var v store.Verification
	if err := decode(r, &v); err != nil {
		return err
	}
	if !p.InScope(v.Village) {
		return fault.New(fault.NotFound, "error.area_outside")
	}
	v.Verifier = p.Username
	if err := h.Store.AddVerification(r.Context(), &v); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (h *Handler) addSurvey(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.CanVerify() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	var v store.Survey
	if err := decode(r, &v); err != nil {
		return err
	}
	if !p.InScope(v.Village) {
		return fault.New(fault.NotFound, "error.area_outside")
	}
	v.RecordedBy, v.Channel = p.Username, "verifier"
	if err := h.Store.AddSurvey(r.Context(), &v); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}
