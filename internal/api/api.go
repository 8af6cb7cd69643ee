// Package api serves the JSON API under /api/v1 and the credentials
// behind it: a bearer token (Authorization: Bearer …) or the session
// cookie set at sign-in. A request without valid credentials gets 401; a
// record outside the caller's area scope gets 404, as if it did not exist.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// SessionCookie is the name of the sign-in cookie.
const SessionCookie = "tuopin_session"

type ctxKey struct{}

// PrincipalFrom returns the signed-in principal of a request.
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(auth.Principal)
	return p, ok
}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Credentials resolves the request's bearer token or session cookie.
func Credentials(s *store.Store, r *http.Request) (auth.Principal, error) {
	token := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if token == "" {
		return auth.Principal{}, fault.New(fault.Unauthorized, "error.unauthorized")
	}
	u, err := s.Authenticate(r.Context(), token)
	if err != nil {
		return auth.Principal{}, err
	}
	return u.Principal(), nil
}

// Handler serves /api/v1.
type Handler struct {
	Store  *store.Store
	Assess *assess.Assessor
	Log    *slog.Logger
}

// Register adds the API routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/login", h.login)
	mux.HandleFunc("POST /api/v1/logout", h.logout)
	mux.Handle("GET /api/v1/me", h.auth(h.me))
	mux.Handle("GET /api/v1/divisions/{code}/children", h.auth(h.divisionChildren))
	mux.Handle("GET /api/v1/divisions/{code}", h.auth(h.division))
	mux.Handle("GET /api/v1/households", h.auth(h.listHouseholds))
	mux.Handle("POST /api/v1/households", h.auth(h.createHousehold))
	mux.Handle("GET /api/v1/households/{id}", h.auth(h.getHousehold))
	mux.Handle("PUT /api/v1/households/{id}", h.auth(h.updateHousehold))
	mux.Handle("GET /api/v1/households/{id}/members", h.auth(h.listMembers))
	mux.Handle("POST /api/v1/households/{id}/members", h.auth(h.saveMember))
	mux.Handle("PUT /api/v1/households/{id}/members/{mid}", h.auth(h.saveMember))
	mux.Handle("GET /api/v1/households/{id}/history", h.auth(h.history))
	mux.Handle("GET /api/v1/households/{id}/pairings", h.auth(h.listPairings))
	mux.Handle("POST /api/v1/pairings", h.auth(h.pair))
	mux.Handle("GET /api/v1/cadres", h.auth(h.listCadres))
	mux.Handle("POST /api/v1/cadres", h.auth(h.saveCadre))
	mux.Handle("GET /api/v1/cadres/{id}", h.auth(h.getCadre))
	mux.Handle("PUT /api/v1/cadres/{id}", h.auth(h.saveCadre))
	h.registerPolicy(mux)
	h.registerVisits(mux)
	h.registerShortfalls(mux)
	h.registerSampling(mux)
	h.registerMonitoring(mux)
	h.registerAppraisal(mux)
	h.registerAccountability(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, fault.New(fault.NotFound, "error.not_found"))
	})
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

func (h *Handler) auth(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := Credentials(h.Store, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if err := fn(w, r.WithContext(WithPrincipal(r.Context(), p)), p); err != nil {
			h.fail(w, r, err)
		}
	})
}

// Status maps an error kind to its HTTP status.
func Status(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusUnprocessableEntity
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Conflict:
		return http.StatusConflict
	case fault.Unauthorized:
		return http.StatusUnauthorized
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Locked:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

type fieldJSON struct {
	Field    string `json:"field"`
	Value    string `json:"value,omitempty"`
	Reason   string `json:"reason"`
	ReasonEN string `json:"reason_en"`
	Key      string `json:"key"`
}

// fail writes err as {"error": {...}} with both languages.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.failStatus(w, r, err, 0)
}

// failStatus is fail with a status that overrides the kind's own.
func (h *Handler) failStatus(w http.ResponseWriter, r *http.Request, err error, status int) {
	e, ok := fault.As(err)
	if !ok {
		if h.Log != nil {
			h.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		e = fault.New(fault.Internal, "error.internal")
	}
	lang := i18n.Lang(r.URL.Query().Get("lang") + r.Header.Get("Accept-Language"))
	body := map[string]any{
		"code":       e.Kind,
		"key":        e.Msg.Key,
		"message":    e.Msg.In(lang),
		"message_zh": e.Msg.In(i18n.ZH),
		"message_en": e.Msg.In(i18n.EN),
	}
	if len(e.Fields) > 0 {
		fs := make([]fieldJSON, len(e.Fields))
		for i, f := range e.Fields {
			fs[i] = fieldJSON{Field: f.Field, Value: f.Value, Reason: f.Reason.In(i18n.ZH), ReasonEN: f.Reason.In(i18n.EN), Key: f.Reason.Key}
		}
		body["fields"] = fs
	}
	if status == 0 {
		status = Status(e.Kind)
	}
	writeJSON(w, status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &fault.Error{Kind: fault.Invalid, Msg: i18n.M("reason.bad_json"), Fields: []fault.FieldError{{Field: "body", Value: err.Error(), Reason: i18n.M("reason.bad_json")}}}
	}
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.New(fault.NotFound, "error.not_found")
	}
	return id, nil
}

func list[T any](w http.ResponseWriter, items []T, total int) error {
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, token, err := h.Store.Login(r.Context(), in.Username, in.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	SetSessionCookie(w, r, token)
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": u})
}

// SetSessionCookie sets the sign-in cookie: HttpOnly, SameSite=Lax, and
// Secure when the request came over TLS.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil, MaxAge: int(store.SessionLifetime.Seconds())})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		h.Store.Logout(r.Context(), c.Value)
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer tps_") {
		h.Store.Logout(r.Context(), strings.TrimPrefix(a, "Bearer "))
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (h *Handler) division(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, ok := h.Store.Divisions().Get(r.PathValue("code"))
	if !ok || !(p.InScope(d.Code) || strings.HasPrefix(p.Area, d.Code)) {
		return fault.New(fault.NotFound, "error.not_found")
	}
	writeJSON(w, http.StatusOK, map[string]any{"division": d, "path": h.Store.Divisions().Path(d.Code)})
	return nil
}

// divisionChildren lists a division's children that the caller may see:
// all of them inside the scope, and on the way down to it only the branch
// that leads there.
func (h *Handler) divisionChildren(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	code := r.PathValue("code")
	tab := h.Store.Divisions()
	if _, ok := tab.Get(code); !ok || !(p.InScope(code) || strings.HasPrefix(p.Area, code)) {
		return fault.New(fault.NotFound, "error.not_found")
	}
	var out []any
	for _, d := range tab.Children(code) {
		if p.InScope(d.Code) || strings.HasPrefix(p.Area, d.Code) {
			out = append(out, d)
		}
	}
	if out == nil {
		out = []any{}
	}
	return list(w, out, len(out))
}

func intParam(r *http.Request, name string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

func (h *Handler) listHouseholds(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	items, total, err := h.Store.ListHouseholds(r.Context(), p, store.HouseholdFilter{
		Area: q.Get("area"), Q: q.Get("q"), Status: q.Get("status"), Attribute: q.Get("attribute"), Cause: q.Get("cause"),
		Shortfalls: q.Get("shortfalls") == "1", Monitored: q.Get("monitored") == "1",
		Page: intParam(r, "page", 1), PageSize: intParam(r, "page_size", 50),
	})
	if err != nil {
		return err
	}
	return list(w, items, total)
}

func (h *Handler) getHousehold(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hh, err := h.Store.GetHousehold(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hh)
	return nil
}

func (h *Handler) createHousehold(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var hh registry.Household
	if err := decode(r, &hh); err != nil {
		return err
	}
	hh.ID = 0
	if err := h.Store.CreateHousehold(r.Context(), p, &hh); err != nil {
		return err
	}
	h.reassess(r.Context(), hh.ID)
	out, err := h.Store.GetHousehold(r.Context(), p, hh.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (h *Handler) updateHousehold(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var hh registry.Household
	if err := decode(r, &hh); err != nil {
		return err
	}
	if hh.Version == 0 {
		return fault.Fields([]fault.FieldError{{Field: "version", Reason: i18n.M("reason.required")}})
	}
	hh.ID = id
	if err := h.Store.UpdateHousehold(r.Context(), p, &hh); err != nil {
		return err
	}
	h.reassess(r.Context(), id)
	out, err := h.Store.GetHousehold(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := h.Store.ListMembers(r.Context(), p, id)
	if err != nil {
		return err
	}
	return list(w, ms, len(ms))
}

func (h *Handler) saveMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	hid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var m registry.Member
	if err := decode(r, &m); err != nil {
		return err
	}
	m.ID, m.HouseholdID = 0, hid
	status := http.StatusCreated
	if r.PathValue("mid") != "" {
		if m.ID, err = pathID(r, "mid"); err != nil {
			return err
		}
		if m.Version == 0 {
			return fault.Fields([]fault.FieldError{{Field: "version", Reason: i18n.M("reason.required")}})
		}
		status = http.StatusOK
	}
	if err := h.Store.SaveMember(r.Context(), p, &m); err != nil {
		return err
	}
	h.reassess(r.Context(), hid)
	writeJSON(w, status, m)
	return nil
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cs, err := h.Store.History(r.Context(), p, id)
	if err != nil {
		return err
	}
	return list(w, cs, len(cs))
}

func (h *Handler) listPairings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ps, err := h.Store.Pairings(r.Context(), p, id)
	if err != nil {
		return err
	}
	return list(w, ps, len(ps))
}

func (h *Handler) pair(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var pr registry.Pairing
	if err := decode(r, &pr); err != nil {
		return err
	}
	if err := h.Store.Pair(r.Context(), p, &pr); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func (h *Handler) listCadres(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cs, total, err := h.Store.ListCadres(r.Context(), p, r.URL.Query().Get("area"), intParam(r, "page", 1), intParam(r, "page_size", 50))
	if err != nil {
		return err
	}
	return list(w, cs, total)
}

func (h *Handler) getCadre(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Store.GetCadre(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) saveCadre(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var c registry.Cadre
	if err := decode(r, &c); err != nil {
		return err
	}
	c.ID = 0
	status := http.StatusCreated
	if r.PathValue("id") != "" {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c.ID = id
		if c.Version == 0 {
			return fault.Fields([]fault.FieldError{{Field: "version", Reason: i18n.M("reason.required")}})
		}
		status = http.StatusOK
	}
	if err := h.Store.SaveCadre(r.Context(), p, &c); err != nil {
		return err
	}
	writeJSON(w, status, c)
	return nil
}

// step makes the handler of a step on a record: the record's ID from the
// path, the step of type A decoded from the body, the record after the
// step as the answer.
func step[A, R any](act func(ctx context.Context, p auth.Principal, id int64, a A) (R, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var a A
		if err := decode(r, &a); err != nil {
			return err
		}
		x, err := act(r.Context(), p, id, a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, x)
		return nil
	}
}

// period is the request's ?period=YYYY-MM, this month when absent; a bad
// value reaches the store, which names it.
func (h *Handler) period(r *http.Request) string {
	if p := r.URL.Query().Get("period"); p != "" {
		return p
	}
	return policy.PeriodOf(h.Store.Now()).String()
}
