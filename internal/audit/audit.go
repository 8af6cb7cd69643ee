// Package audit defines the tamper-evident audit log (审计日志): every
// write appends an entry whose hash covers the entry and the hash before
// it, so altering, deleting or reordering any entry breaks the chain from
// that entry on, and Verify names the first one that does not fit.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Entry is one line of the log: who did what to which record, when, with
// the record before and after as JSON.
type Entry struct {
	Seq         int64  `json:"seq"` // position in the chain, from 1, without gaps
	County      string `json:"county"`
	Entity      string `json:"entity"`
	EntityID    int64  `json:"entity_id"`
	HouseholdID int64  `json:"household_id"`
	Action      string `json:"action"`
	Actor       string `json:"actor"`
	At          string `json:"at"`
	Before      string `json:"before"`
	After       string `json:"after"`
	PrevHash    string `json:"prev_hash"` // hex; "" for the first entry
	Hash        string `json:"hash"`      // hex SHA-256
}

// Sum is the hash of e chained to prev: SHA-256 over prev and every
// field, each length-prefixed so no two different entries encode alike.
func Sum(prev string, e *Entry) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	field(prev)
	num(e.Seq)
	field(e.County)
	field(e.Entity)
	num(e.EntityID)
	num(e.HouseholdID)
	field(e.Action)
	field(e.Actor)
	field(e.At)
	field(e.Before)
	field(e.After)
	return hex.EncodeToString(h.Sum(nil))
}

// Problem says what is wrong at an entry.
type Problem string

// Problems Verify reports.
const (
	Altered   Problem = "altered"   // its content does not match its hash
	Missing   Problem = "missing"   // an entry before it is gone (a gap in seq)
	Reordered Problem = "reordered" // it does not follow the entry before it
	Truncated Problem = "truncated" // entries at the end are gone
)

// Finding is the first entry that breaks the chain.
type Finding struct {
	Seq     int64   `json:"seq"`
	Problem Problem `json:"problem"`
}

// Verifier checks entries fed in seq order.
type Verifier struct {
	prev    string
	lastSeq int64
	bad     *Finding
	Checked int64
}

// Add checks the next entry; after the first problem it does nothing.
func (v *Verifier) Add(e *Entry) {
	if v.bad != nil {
		return
	}
	v.Checked++
	switch {
	case e.Seq != v.lastSeq+1:
		v.bad = &Finding{Seq: v.lastSeq + 1, Problem: Missing}
		if e.Seq <= v.lastSeq {
			v.bad = &Finding{Seq: e.Seq, Problem: Reordered}
		}
	case e.PrevHash != v.prev:
		v.bad = &Finding{Seq: e.Seq, Problem: Reordered}
	case Sum(e.PrevHash, e) != e.Hash:
		v.bad = &Finding{Seq: e.Seq, Problem: Altered}
	}
	v.prev, v.lastSeq = e.Hash, e.Seq
}

// Done checks the chain's end against the head recorded beside it (the
// last seq and hash), which catches entries cut off the end, and returns
// the first problem, or nil when the chain is whole.
func (v *Verifier) Done(headSeq int64, headHash string) *Finding {
	if v.bad != nil {
		return v.bad
	}
	if headSeq != v.lastSeq || headHash != v.prev {
		return &Finding{Seq: v.lastSeq + 1, Problem: Truncated}
	}
	return nil
}
