package table_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A model of the commit protocol of one partition (docs/output.md, Commits
// and races; Fencing), explored exhaustively: every interleaving of its
// actors' steps, each actor free to crash (stop for good) before any step
// and every claim free to be taken over whenever another actor meets it (a
// claimant that is only paused looks dead to the others: a lease proves
// nothing). Each step is one atomic store operation, as the real code
// issues them (a read, a conditional PUT, an upload's begin, completion
// or abort). ETags are content-addressed, as on S3: the same bytes (or a
// manifest put back byte for byte) give the same ETag, the case that
// defeats ETag conditions.
//
// Checked after every step: the bytes of the data object are those of the
// commit in force whenever the head is a commit (one owner's bytes under
// each committed manifest; with one data object per partition, a glob sees
// exactly that commit). Checked when no actor can move: no actor waits
// forever and no claim is left that no later command can take over (no
// wedged date), and an actor that lost before claiming began no write (a
// loser has written nothing).
//
// GC deletes the data object when the commit in force has dropped its
// format: it notes the object under its claim, renews, then deletes, by
// object, by ETag or unconditionally (the mconfig says which); every write
// of the data object makes a new object, so only a delete that names the
// object noted is fenced.
//
// The model is small by design: one partition, one format; table/
// fencing_test.go and deletefence_test.go run the real code stopped at
// each write and delete point.

// Head kinds.
const (
	hNone = iota
	hCommit
	hClaim
	hGC
)

// mhead is a partition's manifest; being content-addressed, it is also its
// ETag.
type mhead struct {
	kind      uint8
	owner     int8  // committer or claimant; -1 the initial commit
	bytes     int8  // a commit's data bytes (and their ETag)
	prevOwner int8  // a claim's commit in force: its owner (-2 none)
	prevBytes int8  // and its bytes
	id        int8  // a commit's data object, as its manifest names it (0 none)
	prevID    int8  // a claim's commit in force: its data object
	renew     uint8 // a claim's renewals
	uploads   uint8 // a claim's uploads, a bit per actor
	abandoned uint8 // uploads of the claim it took over
}

// Upload states.
const (
	uNone = iota
	uBegun
	uAborted
	uDone
)

// Actor program counters past the steps.
const (
	pcDone = 100 + iota
	pcLost
	pcLostEarly // lost before claiming
	pcCrashed
	pcGone // its upload removed while its claim was in force (exit 6, claim left)
)

const maxActors = 4 // three contenders, and the later command of the wedge check

type mactor struct {
	pc        uint8
	start     mhead // head read when it started
	cond      mhead // head its claim is conditional on
	mine      mhead // its claim as last written
	statETag  int8  // legacy: the data ETag read before writing
	recorded  int8  // the data ETag its manifest will list
	recID     int8  // and the object it will name
	skipWrite bool
	noted     int8 // GC: the object it decided to delete (0 none)
	notedETag int8 // and its bytes
}

type mstate struct {
	head    mhead
	data    int8 // bytes of the data object (its ETag); -3 none
	dataID  int8 // which object it is: every write makes a new one (0 none)
	nextID  int8
	uploads [maxActors]uint8
	actors  [maxActors]mactor
}

type mconfig struct {
	kinds     []string // "commit" or "gc", per actor
	bytes     []int8   // each committer's bytes
	legacy    bool     // the protocol before issue 24: data PUTs conditioned on ETags, no uploads
	gcCrashes bool     // GC may crash holding its claim
	// legacyGC: GC as before issue 24 item 5: its claim is never taken
	// over (commands wait for it, then give up), and its sweep of
	// temporary files removes any upload, live or not, by age alone.
	legacyGC bool
	// dropped: the commit in force has dropped the format, so the data
	// object in place is garbage, GC's to delete; a committer whose bytes
	// are noFormat commits without the format too.
	dropped bool
	// deletes: how GC's delete names its object: "object" (the object it
	// noted under its claim: a local file, an S3 version), "etag" (its
	// bytes' ETag: S3 without versioning), "" (unconditional, as before).
	deletes string
	// adoptAny: a writer keeps the object in place whenever its bytes
	// are equal, listed by the commit in force or not (as before).
	adoptAny bool
}

const (
	initialBytes = 9
	noFormat     = -4 // a commit without the format: it lists no object
)

func (c mconfig) initial() mstate {
	s := mstate{head: mhead{kind: hCommit, owner: -1, bytes: initialBytes, id: 1, prevOwner: -2}, data: initialBytes, dataID: 1, nextID: 2}
	if c.dropped {
		s.head.bytes, s.head.id = noFormat, 0
	}
	return s
}

// commitOf returns the commit in force that h names (a claim's previous),
// and whether there is one.
func commitOf(h mhead) (owner, bytes int8, ok bool) {
	switch h.kind {
	case hCommit:
		return h.owner, h.bytes, true
	case hClaim, hGC:
		return h.prevOwner, h.prevBytes, h.prevOwner != -2
	}
	return 0, 0, false
}

// commitObject returns the data object the commit in force that h names
// lists (0 none).
func commitObject(h mhead) int8 {
	if h.kind == hCommit {
		return h.id
	}
	return h.prevID
}

// steps returns the states one step of actor i leads to.
func (c mconfig) steps(s mstate, i int) []mstate {
	a := s.actors[i]
	if a.pc >= pcDone {
		return nil
	}
	var next []mstate
	// Any actor may crash before any step.
	if c.kinds[i] == "commit" || c.gcCrashes {
		t := s
		t.actors[i].pc = pcCrashed
		next = append(next, t)
	}
	t := s
	ta := &t.actors[i]
	if c.kinds[i] == "gc" {
		switch a.pc {
		case 0: // sweep temporary files (output-wide, under no claim):
			// those of crashed writers only; a stopped writer holds its
			// files' locks
			for j := range maxActors {
				crashed := s.actors[j].pc == pcCrashed
				if s.uploads[j] == uBegun && (crashed || c.legacyGC) {
					t.uploads[j] = uAborted
				}
			}
			ta.pc = 1
		case 1: // read the head: GC claims only a commit
			if s.head.kind != hCommit {
				ta.pc = pcDone
			} else {
				ta.cond, ta.pc = s.head, 2
			}
		case 2: // claim it, If-Match
			if s.head != a.cond {
				ta.pc = pcDone
				break
			}
			t.head = mhead{kind: hGC, owner: int8(i), prevOwner: a.cond.owner, prevBytes: a.cond.bytes, prevID: a.cond.id}
			ta.mine, ta.pc = t.head, 3
		case 3: // note the object the commit does not list (a HEAD)
			ta.noted, ta.notedETag = 0, 0
			if a.mine.prevBytes == noFormat && s.dataID != 0 {
				ta.noted, ta.notedETag = s.dataID, s.data
			}
			ta.pc = 4
		case 4: // renew, If-Match its claim (also its check before a delete)
			if c.legacyGC {
				ta.pc = 5
				break
			}
			if s.head != a.mine {
				ta.pc = pcDone // taken over: deletes nothing more
				break
			}
			t.head.renew++
			ta.mine, ta.pc = t.head, 5
		case 5: // delete the object noted, as the store can name it
			if a.noted != 0 {
				del := false
				switch c.deletes {
				case "object":
					del = s.dataID == a.noted
				case "etag":
					del = s.dataID != 0 && s.data == a.notedETag
				default:
					del = true
				}
				if del {
					t.data, t.dataID = -3, 0
				}
			}
			ta.pc = 6
		case 6: // put the commit back byte for byte, If-Match its claim
			if s.head == a.mine {
				t.head = a.cond
			}
			ta.pc = pcDone
		}
		return append(next, t)
	}
	me := int8(i)
	switch a.pc {
	case 0: // start: read the head
		ta.start, ta.pc = s.head, 1
	case 1: // re-read it before claiming
		h := s.head
		o1, b1, ok1 := commitOf(a.start)
		o2, b2, ok2 := commitOf(h)
		sameCommit := ok1 == ok2 && o1 == o2 && b1 == b2
		switch {
		case h == a.start && h.kind != hGC && h.kind != hClaim:
			ta.cond, ta.pc = h, 2
		case h.kind == hGC && c.legacyGC:
			return next // wait for GC to put the commit back
		case (h.kind == hClaim || h.kind == hGC) && sameCommit:
			// Another's claim: wait (no step) or, its lease run out on our
			// clock, take it over.
			ta.cond, ta.pc = h, 2
		case sameCommit && h.kind == hCommit:
			ta.cond, ta.pc = h, 2 // GC put it back: the same commit
		default:
			ta.pc = pcLostEarly // another committed since we started
		}
	case 2: // claim, If-Match (or If-None-Match)
		if s.head != a.cond {
			ta.pc = pcLostEarly
			break
		}
		po, pb, ok := commitOf(a.cond)
		if !ok {
			po = -2
		}
		t.head = mhead{kind: hClaim, owner: me, prevOwner: po, prevBytes: pb, prevID: commitObject(a.cond)}
		if !c.legacy && a.cond.kind == hClaim {
			t.head.abandoned = a.cond.uploads | a.cond.abandoned
		}
		ta.mine, ta.pc = t.head, 3
	case 3: // abort the uploads of the claim taken over: the fence
		for j := range maxActors {
			if a.mine.abandoned&(1<<j) != 0 && t.uploads[j] == uBegun {
				t.uploads[j] = uAborted
			}
		}
		ta.pc = 4
	case 4: // begin our upload
		if !c.legacy {
			t.uploads[i] = uBegun
		}
		ta.pc = 5
	case 5: // renew, recording it, If-Match our claim
		if s.head != a.mine {
			ta.pc = pcLost
			if !c.legacy {
				t.uploads[i] = uAborted
			}
			break
		}
		t.head.renew++
		t.head.abandoned = 0
		if !c.legacy {
			t.head.uploads |= 1 << i
		}
		ta.mine, ta.pc = t.head, 6
	case 6: // stat the data object
		ta.statETag = s.data
		// Keep the object in place when it holds our bytes, and (since
		// the deletes are fenced) the commit in force lists it: one it
		// does not list is garbage a GC may have decided to delete.
		keep := s.dataID != 0 && s.data == c.bytes[i] && (c.legacy || c.adoptAny || s.dataID == a.mine.prevID)
		switch {
		case c.bytes[i] == noFormat: // no object of the format to write
			ta.recorded, ta.recID, ta.pc = noFormat, 0, 8
		case keep:
			ta.skipWrite, ta.recorded, ta.recID, ta.pc = true, s.data, s.dataID, 8
		default:
			ta.pc = 7
		}
	case 7: // write the data object
		if c.legacy {
			if s.data != a.statETag { // If-Match (If-None-Match when none)
				ta.pc = pcLost
				break
			}
		} else if s.uploads[i] != uBegun { // completed only if not aborted
			ta.pc = pcLost
			if s.head == a.mine {
				ta.pc = pcGone // aborted by no taker-over: fails for good
			}
			break
		}
		t.data, ta.recorded, ta.pc = c.bytes[i], c.bytes[i], 8
		t.dataID, ta.recID, t.nextID = s.nextID, s.nextID, s.nextID+1
		if !c.legacy {
			t.uploads[i] = uDone
		}
	case 8: // publish, If-Match our claim
		if s.head != a.mine {
			ta.pc = pcLost
			break
		}
		t.head = mhead{kind: hCommit, owner: me, bytes: a.recorded, id: a.recID, prevOwner: -2}
		ta.pc = pcDone
	}
	return append(next, t)
}

// violation says what invariant s breaks, or "".
func (c mconfig) violation(s mstate) string {
	if o, b, ok := commitOf(s.head); ok && s.head.kind != hClaim && b != noFormat && (s.data != b || s.dataID == 0) {
		return fmt.Sprintf("the commit of %d lists bytes %d, the data object holds %d", o, b, s.data)
	}
	return ""
}

// terminal says what is wrong with a state no actor can leave, or "".
func (c mconfig) terminal(s mstate) string {
	for i, a := range s.actors[:len(c.kinds)] {
		if a.pc == pcGone {
			return fmt.Sprintf("actor %d's upload was removed while its claim was in force: a live write collected", i)
		}
		if a.pc < pcDone {
			return fmt.Sprintf("actor %d waits forever at step %d (head %+v)", i, a.pc, s.head)
		}
		if a.pc == pcLostEarly && s.uploads[i] != uNone {
			return fmt.Sprintf("actor %d lost before claiming but began a write", i)
		}
	}
	// No date stays wedged: a command started now commits, alone.
	if !c.later(s) {
		return fmt.Sprintf("a command started now cannot commit (head %+v): the date is wedged", s.head)
	}
	return ""
}

// later reports whether a committer started in the state s, running
// alone, commits.
func (c mconfig) later(s mstate) bool {
	n := len(c.kinds)
	lc := c
	lc.kinds = append(slices.Clone(c.kinds), "commit")
	lc.bytes = append(slices.Clone(c.bytes), 5)
	for len(lc.bytes) < len(lc.kinds) {
		lc.bytes = append(lc.bytes, 5)
	}
	for range 100 {
		if s.actors[n].pc >= pcDone {
			return s.actors[n].pc == pcDone
		}
		next := lc.steps(s, n)
		if len(next) == 0 {
			return false // waits forever
		}
		s = next[len(next)-1] // its own step, not a crash
	}
	return false
}

type mresult struct {
	states    int
	violation string
	trace     []string
}

// explore visits every state reachable from c's initial state, depth
// first, and stops at the first violation with the steps that lead to it.
func (c mconfig) explore() mresult {
	seen := map[mstate]bool{}
	var res mresult
	type step struct{ actor, from, to uint8 }
	var path []step
	trace := func() []string {
		var out []string
		for _, st := range path {
			out = append(out, fmt.Sprintf("%s %d: step %d -> %d", c.kinds[st.actor], st.actor, st.from, st.to))
		}
		return out
	}
	var visit func(s mstate) bool
	visit = func(s mstate) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		res.states++
		if v := c.violation(s); v != "" {
			res.violation, res.trace = v, trace()
			return true
		}
		moved := false
		for i := range c.kinds {
			for _, t := range c.steps(s, i) {
				moved = true
				path = append(path, step{uint8(i), s.actors[i].pc, t.actors[i].pc})
				stop := visit(t)
				path = path[:len(path)-1]
				if stop {
					return true
				}
			}
		}
		if !moved {
			if v := c.terminal(s); v != "" {
				res.violation, res.trace = v, trace()
				return true
			}
		}
		return false
	}
	visit(c.initial())
	return res
}

func TestProtocolModel(t *testing.T) {
	cases := []struct {
		name string
		c    mconfig
		want string // a violation the model must find ("" none)
	}{
		// Three committers, one writing the bytes already in place.
		{name: "three committers", c: mconfig{kinds: []string{"commit", "commit", "commit"}, bytes: []int8{initialBytes, 1, 2}}},
		{name: "two committers and gc", c: mconfig{kinds: []string{"commit", "commit", "gc"}, bytes: []int8{initialBytes, 1}}},
		// Issue 24 item 5: GC's claims expire and are taken over like any
		// claim; GC renews while it works and deletes nothing once taken
		// over; its sweep spares live writes.
		{name: "two committers and a gc that crashes", c: mconfig{kinds: []string{"commit", "commit", "gc"}, bytes: []int8{initialBytes, 1}, gcCrashes: true}},
		{name: "a committer and two gcs that crash", c: mconfig{kinds: []string{"commit", "gc", "gc"}, bytes: []int8{1}, gcCrashes: true}},
		{name: "gc crashes holding its claim", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{1}, gcCrashes: true}},
		// The protocol before issue 24 (ETag conditions only): the model
		// finds the stale write the issue reports.
		{name: "ETag-conditioned writes", c: mconfig{kinds: []string{"commit", "commit"}, bytes: []int8{0, initialBytes}, legacy: true},
			want: "lists bytes"},
		// GC before issue 24 item 5: a GC killed holding its claim wedges
		// the date, since no command takes a GC claim over; and its sweep
		// removes a live writer's upload.
		{name: "legacy gc crashes holding its claim", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{1}, gcCrashes: true, legacyGC: true},
			want: "wedged"},
		{name: "legacy gc sweeps a live upload", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{1}, legacyGC: true},
			want: "live write collected"},
		// Deletes (issue 24, the part left): the commit in force dropped
		// the format, so GC deletes its object; a GC paused past a
		// takeover must not delete the object a new owner committed,
		// whatever its bytes (the garbage's own, or others).
		{name: "gc deletes a dropped format's object under two committers", c: mconfig{kinds: []string{"commit", "commit", "gc"}, bytes: []int8{initialBytes, 1}, dropped: true, deletes: "object", gcCrashes: true}},
		{name: "gc deletes a dropped format's object, a committer drops it too", c: mconfig{kinds: []string{"commit", "commit", "gc"}, bytes: []int8{initialBytes, noFormat}, dropped: true, deletes: "object"}},
		{name: "two gcs delete a dropped format's object", c: mconfig{kinds: []string{"commit", "gc", "gc"}, bytes: []int8{initialBytes}, dropped: true, deletes: "object", gcCrashes: true}},
		// Before: GC deleted the key unconditionally, right after a renewal.
		{name: "unconditional deletes", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{1}, dropped: true},
			want: "lists bytes"},
		// Deletes that name the object, but a writer that keeps garbage of
		// equal bytes in place as its own: the paused GC deletes it.
		{name: "a writer adopts the garbage", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{initialBytes}, dropped: true, deletes: "object", adoptAny: true},
			want: "lists bytes"},
		// S3 without versioning names an object by its ETag: a rewrite of
		// equal bytes is deleted (the window docs/output.md states).
		{name: "deletes conditioned on ETags", c: mconfig{kinds: []string{"commit", "gc"}, bytes: []int8{initialBytes}, dropped: true, deletes: "etag"},
			want: "lists bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.c.explore()
			t.Logf("%d states", res.states)
			switch {
			case tc.want == "" && res.violation != "":
				t.Fatalf("%s, after:\n%s", res.violation, strings.Join(res.trace, "\n"))
			case tc.want != "" && !strings.Contains(res.violation, tc.want):
				t.Fatalf("violation %q, want one saying %q: the model cannot tell", res.violation, tc.want)
			}
		})
	}
}
