package engine

import "math"

// Calibration maps a decision's features to the probability that it is
// right: a logistic function of the winner's belief, its margin over the
// runner-up, how far its evidence stands out from the population (z) and
// how much absolute evidence it has. It is fitted on labelled data with
// whole types left out (internal/eval's TestFitCalibration refits it on
// both development corpora and reports the cross-validated expected
// calibration error), so that a decision resting on a few rule words is
// not 0.99 and min_confidence sends uncertain files to review.
type Calibration struct {
	Margin   float64 // weight of belief - runner-up belief
	Score    float64 // weight of the winner's belief
	Z        float64 // weight of the winner's lead in standardised evidence over the runner-up (clamped to 0..6, /4)
	Evidence float64 // weight of the winner's absolute evidence (in threshold units, capped at 4, /4)
	Words    float64 // weight of how much the winner rests on its own words rather than built-in knowledge (0..1)
	// Decisions resting on the rule's own words get their own slopes:
	// weights of the margin and the lead times Words.
	WordsMargin, WordsLead float64
	Coverage               float64 // weight of the share of the rule's words found in the document
	Found                  float64 // weight of the number of different rule words found (capped at 6, /6)
	// Weights of having clear neighbours and of their belief in the winner.
	Neighbours, NeighbourAgree float64
	// Weights of having decided neighbours and of the share of them given
	// the winner's type.
	Peers, PeerAgree float64
	// Weight of the winner's lead in concept and structure evidence
	// (clamped to -3..3, /3): words that point one way while the
	// document's kind and structure point another make a decision less sure.
	ConceptLead float64
	Bias        float64
	// For "no type" answers: probability that nothing fits, a logistic
	// function of how far the best rule's evidence stays below the
	// threshold (in threshold units).
	NoneScale float64
	NoneBias  float64
}

// CalFeatures are what a typed decision's confidence is computed from.
type CalFeatures struct {
	F1, F2  float64 // the winner's and the runner-up's belief
	Z       float64 // the winner's lead in standardised evidence over the runner-up
	E       float64 // the winner's absolute evidence, in threshold units
	W       float64 // the winner's text weight: 1 = only its own words, 0.2 = mostly built-in knowledge
	C       float64 // the share of the winner's words (IDF-weighted) found in the document
	N       float64 // how many different words of the winner's rule were found
	HasNb   float64 // 1 when similar documents with clear beliefs were consulted
	NbAgree float64 // their mean belief in the winner (0..1)
	HasPeer float64 // 1 when similar documents have been decided
	Peer    float64 // the similarity-weighted share of them given the winner's type
	KLead   float64 // the winner's lead in standardised concept and structure evidence over the strongest other rule
}

func (f CalFeatures) vector() []float64 {
	lead := max(0, min(6, f.Z)) / 4
	return []float64{f.F1 - f.F2, f.F1, lead, min(4, f.E) / 4, f.W, f.W * (f.F1 - f.F2), f.W * lead, f.C, min(6, f.N) / 6, f.HasNb, f.NbAgree, f.HasPeer, f.Peer, max(-3, min(3, f.KLead)) / 3, 1}
}

// DefaultCalibration is fitted on both development corpora (see
// TestFitCalibration).
var DefaultCalibration = Calibration{Margin: 0.374, Score: -3.986, Z: -1.536, Evidence: 0.140, Words: -0.802, WordsMargin: 3.960, WordsLead: 1.347, Coverage: -2.382, Found: 1.730, Neighbours: -3.069, NeighbourAgree: 3.935, Peers: -1.628, PeerAgree: 3.425, ConceptLead: 7.216, Bias: 2.259, NoneScale: -4.808, NoneBias: 5.040}

// maxConfidence caps what the engine claims: there is always a chance the
// document is not what its words suggest.
const maxConfidence = 0.99

func (c Calibration) weights() []float64 {
	return []float64{c.Margin, c.Score, c.Z, c.Evidence, c.Words, c.WordsMargin, c.WordsLead, c.Coverage, c.Found, c.Neighbours, c.NeighbourAgree, c.Peers, c.PeerAgree, c.ConceptLead, c.Bias}
}

// P is the probability that a typed decision with features f is right.
func (c Calibration) P(f CalFeatures) float64 {
	x := f.vector()
	w := c.weights()
	z := 0.0
	for i := range x {
		z += w[i] * x[i]
	}
	return min(maxConfidence, sigmoid(z))
}

// PNone is the probability that "no type" is right when the best rule's
// evidence is e threshold units.
func (c Calibration) PNone(e float64) float64 {
	return min(maxConfidence, sigmoid(c.NoneScale*(1-e)+c.NoneBias))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// CalSample is one decision for fitting a calibration.
type CalSample struct {
	F     CalFeatures
	None  bool // the decision was "no type" (F.E is the best rule's evidence)
	Right bool
}

// FitCalibration fits both parts of a calibration by L2-regularised
// logistic regression (Newton's method), starting from base.
func FitCalibration(samples []CalSample, base Calibration, l2 float64) Calibration {
	var xs, nxs [][]float64
	var ys, nys []float64
	for _, s := range samples {
		y := 0.0
		if s.Right {
			y = 1
		}
		if s.None {
			nxs = append(nxs, []float64{1 - s.F.E, 1})
			nys = append(nys, y)
		} else {
			xs = append(xs, s.F.vector())
			ys = append(ys, y)
		}
	}
	if len(xs) > 0 {
		w := fitLogistic(xs, ys, base.weights(), l2)
		base.Margin, base.Score, base.Z, base.Evidence, base.Words, base.WordsMargin, base.WordsLead, base.Coverage, base.Found,
			base.Neighbours, base.NeighbourAgree, base.Peers, base.PeerAgree, base.ConceptLead, base.Bias = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14]
	}
	if len(nxs) > 0 {
		w := fitLogistic(nxs, nys, []float64{base.NoneScale, base.NoneBias}, l2)
		base.NoneScale, base.NoneBias = w[0], w[1]
	}
	return base
}

// fitLogistic fits weights w by Newton's method with step halving (the
// last feature is the constant 1 and is barely penalised).
func fitLogistic(xs [][]float64, ys []float64, w []float64, l2 float64) []float64 {
	n := len(w)
	pen := func(i int) float64 {
		if i == n-1 {
			return l2 * 0.01
		}
		return l2
	}
	loss := func(w []float64) float64 {
		l := 0.0
		for k, x := range xs {
			z := 0.0
			for i := range w {
				z += w[i] * x[i]
			}
			// log(1+e^z) - y z, computed stably
			if z > 0 {
				l += z + math.Log1p(math.Exp(-z)) - ys[k]*z
			} else {
				l += math.Log1p(math.Exp(z)) - ys[k]*z
			}
		}
		for i := range w {
			l += 0.5 * pen(i) * w[i] * w[i]
		}
		return l
	}
	cur := loss(w)
	for iter := 0; iter < 100; iter++ {
		g := make([]float64, n)
		h := make([][]float64, n)
		for i := range h {
			h[i] = make([]float64, n+1)
		}
		for k, x := range xs {
			z := 0.0
			for i := range w {
				z += w[i] * x[i]
			}
			p := sigmoid(z)
			for i := 0; i < n; i++ {
				g[i] += (p - ys[k]) * x[i]
				for j := 0; j < n; j++ {
					h[i][j] += p * (1 - p) * x[i] * x[j]
				}
			}
		}
		for i := 0; i < n; i++ {
			g[i] += pen(i) * w[i]
			h[i][i] += pen(i)
			h[i][n] = g[i]
		}
		d, ok := solve(h)
		if !ok {
			break
		}
		step := 1.0
		next := make([]float64, n)
		improved := false
		for try := 0; try < 30; try++ {
			for i := range w {
				next[i] = w[i] - step*d[i]
			}
			if l := loss(next); l <= cur {
				cur = l
				improved = true
				break
			}
			step /= 2
		}
		if !improved {
			break
		}
		moved := 0.0
		for i := range w {
			moved += math.Abs(next[i] - w[i])
			w[i] = next[i]
		}
		if moved < 1e-9 {
			break
		}
	}
	return w
}

// solve solves the augmented system a (n rows of n+1) by Gauss-Jordan
// elimination with partial pivoting.
func solve(a [][]float64) ([]float64, bool) {
	n := len(a)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return nil, false
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < n; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = a[i][n] / a[i][i]
	}
	return out, true
}
