package engine

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
)

// Learn adds doc as an example of typ. It takes effect at once (no
// retraining). A document already known under another type moves to typ,
// unless a person's correction placed it there.
func (e *Engine) Learn(typ string, doc Doc) {
	if typ == "" {
		return
	}
	di := analyze(doc)
	if di.nWords < minExampleTerm {
		return
	}
	ex := vectorize(di)
	e.mu.Lock()
	defer e.mu.Unlock()
	if to, ok := e.mem.corrections[ex.hash]; ok && to != typ {
		return // a correction outranks a plain example
	}
	e.mem.add(typ, ex)
}

// Correct records that a person moved doc from one type to another: the
// document (and near copies of it) get type to from now on, whatever the
// rules say, and it stops being an example of from.
func (e *Engine) Correct(from, to string, doc Doc) {
	if to == "" {
		return
	}
	di := analyze(doc)
	ex := vectorize(di)
	ex.weight = correctionWt
	ex.corrected = true
	ex.from = from
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mem.add(to, ex)
	e.mem.corrections[ex.hash] = to
}

// Forget removes doc from the examples of typ ("" = of every type) and
// drops a correction that named it; it reports whether anything was known.
func (e *Engine) Forget(typ string, doc Doc) bool {
	h := docHash(analyze(doc))
	e.mu.Lock()
	defer e.mu.Unlock()
	found := e.mem.remove(typ, h)
	if to, ok := e.mem.corrections[h]; ok && (typ == "" || typ == to) {
		delete(e.mem.corrections, h)
		found = true
	}
	return found
}

// Examples returns how many examples the engine holds per type.
func (e *Engine) Examples() map[string]int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make(map[string]int, len(e.mem.types))
	for t, l := range e.mem.types {
		out[t] = len(l)
	}
	return out
}

// Reset forgets everything learned.
func (e *Engine) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mem = newMemory()
	e.pop = newPopulation()
}

// ErrBadState is returned by Load/UnmarshalBinary for data that is not a
// saved engine.
var ErrBadState = errors.New("engine: not a saved engine state")

const stateMagic = "classifyd-engine"
const stateVersion = 1

type savedExample struct {
	Hash      uint64
	Idx       []uint32
	Val       []float32
	Cues      map[string]float32
	Weight    float64
	Corrected bool
	From      string
	Title     string
}

type savedState struct {
	Magic       string
	Version     int
	Types       map[string][]savedExample
	Corrections map[uint64]string
	Population  []savedPopEntry // oldest first (absent in states of older builds)
}

// savedPopEntry is one document of the population: its vector, and its
// scores and belief under the rule set it was last classified with.
type savedPopEntry struct {
	Hash uint64
	Idx  []uint32
	Val  []float32
	Key  uint64
	Zs   []float32
	P    []float32
}

// Save writes what the engine has learned.
func (e *Engine) Save(w io.Writer) error {
	e.mu.RLock()
	st := savedState{Magic: stateMagic, Version: stateVersion, Types: map[string][]savedExample{},
		Corrections: make(map[uint64]string, len(e.mem.corrections))}
	for h, t := range e.mem.corrections {
		st.Corrections[h] = t
	}
	for t, list := range e.mem.types {
		for _, ex := range list {
			se := savedExample{Hash: ex.hash, Idx: ex.vec.idx, Val: ex.vec.val, Weight: ex.weight,
				Corrected: ex.corrected, From: ex.from, Title: ex.title, Cues: map[string]float32{}}
			for i, v := range ex.cues {
				if v != 0 {
					se.Cues[cueDefs[i].name] = v
				}
			}
			st.Types[t] = append(st.Types[t], se)
		}
	}
	pop := e.pop
	e.mu.RUnlock()
	pop.mu.Lock()
	for _, pe := range pop.ring {
		st.Population = append(st.Population, savedPopEntry{Hash: pe.ex.hash, Idx: pe.ex.vec.idx, Val: pe.ex.vec.val,
			Key: pe.key, Zs: pe.zs, P: pe.p})
	}
	pop.mu.Unlock()
	if err := gob.NewEncoder(w).Encode(&st); err != nil {
		return fmt.Errorf("save engine: %w", err)
	}
	return nil
}

// Load replaces what the engine has learned with a saved state.
func (e *Engine) Load(r io.Reader) error {
	var st savedState
	if err := gob.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("load engine: %w: %v", ErrBadState, err)
	}
	if st.Magic != stateMagic {
		return ErrBadState
	}
	if st.Version != stateVersion {
		return fmt.Errorf("load engine: %w: version %d", ErrBadState, st.Version)
	}
	mem := newMemory()
	for t, list := range st.Types {
		for _, se := range list {
			if len(se.Idx) != len(se.Val) {
				return fmt.Errorf("load engine: %w: corrupt example", ErrBadState)
			}
			ex := &example{hash: se.Hash, vec: sparseVec{idx: se.Idx, val: se.Val}, weight: se.Weight,
				corrected: se.Corrected, from: se.From, title: se.Title}
			for name, v := range se.Cues {
				if id, ok := cueByName(name); ok {
					ex.cues[id] = v
				}
			}
			mem.seq++
			ex.seq = mem.seq
			mem.types[t] = append(mem.types[t], ex)
			mem.index(ex)
		}
	}
	for h, t := range st.Corrections {
		mem.corrections[h] = t
	}
	pop := newPopulation()
	for _, sp := range st.Population {
		if len(sp.Idx) != len(sp.Val) || len(sp.P) > 0 && len(sp.P) != len(sp.Zs) {
			return fmt.Errorf("load engine: %w: corrupt population entry", ErrBadState)
		}
		pe := pop.add(&example{hash: sp.Hash, vec: sparseVec{idx: sp.Idx, val: sp.Val}, weight: 1}, sp.Key, sp.Zs)
		pe.p = sp.P
	}
	e.mu.Lock()
	e.mem = mem
	e.pop = pop
	e.mu.Unlock()
	return nil
}

// MarshalBinary is Save into a byte slice.
func (e *Engine) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := e.Save(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalBinary is Load from a byte slice.
func (e *Engine) UnmarshalBinary(data []byte) error {
	if e.compiled == nil {
		e.compiled = map[string]*ruleSet{}
	}
	return e.Load(bytes.NewReader(data))
}
