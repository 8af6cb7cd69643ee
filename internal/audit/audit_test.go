package audit

import (
	"strconv"
	"testing"
)

func chain(n int) []Entry {
	out := make([]Entry, n)
	prev := ""
	for i := range out {
		e := Entry{Seq: int64(i + 1), County: "530627", Entity: "household", EntityID: int64(i), Action: "update", Actor: "li",
			At: "2026-11-29T09:00:00Z", Before: `{"v":` + strconv.Itoa(i) + `}`, After: `{"v":` + strconv.Itoa(i+1) + `}`, PrevHash: prev}
		e.Hash = Sum(prev, &e)
		prev = e.Hash
		out[i] = e
	}
	return out
}

func verify(es []Entry, headSeq int64, headHash string) *Finding {
	var v Verifier
	for i := range es {
		v.Add(&es[i])
	}
	return v.Done(headSeq, headHash)
}

func TestVerify(t *testing.T) {
	es := chain(10)
	head, hash := int64(10), es[9].Hash
	if f := verify(es, head, hash); f != nil {
		t.Fatalf("whole chain: %+v", f)
	}
	altered := chain(10)
	altered[4].After = `{"v":999}`
	if f := verify(altered, head, hash); f == nil || f.Seq != 5 || f.Problem != Altered {
		t.Fatalf("altered: %+v", f)
	}
	// Rehashing the altered entry does not help: the next one no longer
	// follows it.
	altered[4].Hash = Sum(altered[4].PrevHash, &altered[4])
	if f := verify(altered, head, hash); f == nil || f.Seq != 6 || f.Problem != Reordered {
		t.Fatalf("rehashed: %+v", f)
	}
	deleted := append(append([]Entry{}, es[:3]...), es[4:]...)
	if f := verify(deleted, head, hash); f == nil || f.Seq != 4 || f.Problem != Missing {
		t.Fatalf("deleted: %+v", f)
	}
	swapped := append([]Entry{}, es...)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	swapped[2].Seq, swapped[3].Seq = 3, 4 // renumbered to hide the swap
	if f := verify(swapped, head, hash); f == nil || f.Seq != 3 {
		t.Fatalf("swapped: %+v", f)
	}
	if f := verify(es[:8], head, hash); f == nil || f.Seq != 9 || f.Problem != Truncated {
		t.Fatalf("truncated: %+v", f)
	}
	// Moving a value from one field to the next changes the hash.
	a := Entry{Seq: 1, Before: "ab", After: "c"}
	b := Entry{Seq: 1, Before: "a", After: "bc"}
	if Sum("", &a) == Sum("", &b) {
		t.Fatal("field boundaries are not hashed")
	}
}
