package engine

import "math"

// Calibration maps a decision's score features to the probability that it
// is right. It is a logistic function of the winner's score and of its
// margin over the runner-up: generic properties of the scores, fitted on
// labelled data with cross-validation (internal/eval's TestFitCalibration
// refits it and reports the expected calibration error).
type Calibration struct {
	Margin float64 // weight of score - runner-up score
	Score  float64 // weight of the winner's score
	Bias   float64
	// For "no type" answers: probability that nothing fits, a logistic
	// function of how far the best score stays below MinEvidence.
	NoneScale float64
	NoneBias  float64
}

// DefaultCalibration is fitted on the dev corpus (see TestFitCalibration).
var DefaultCalibration = Calibration{Margin: 5.411, Score: 3.076, Bias: 0.296, NoneScale: -1.246, NoneBias: 2.118}

// maxConfidence caps what the engine claims: there is always a chance the
// document is not what its words suggest.
const maxConfidence = 0.99

// P is the probability that a winner with score s1, runner-up s2, is right.
func (c Calibration) P(s1, s2 float64) float64 {
	return min(maxConfidence, sigmoid(c.Margin*(s1-s2)+c.Score*s1+c.Bias))
}

// PNone is the probability that "no type" is right when the best score is s1.
func (c Calibration) PNone(s1 float64) float64 {
	return min(maxConfidence, sigmoid(c.NoneScale*(MinEvidence-s1)/MinEvidence+c.NoneBias))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// CalSample is one decision for fitting a calibration.
type CalSample struct {
	S1, S2 float64 // winner's and runner-up's score
	None   bool    // the decision was "no type"
	Right  bool
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
			nxs = append(nxs, []float64{(MinEvidence - s.S1) / MinEvidence, 1})
			nys = append(nys, y)
		} else {
			xs = append(xs, []float64{s.S1 - s.S2, s.S1, 1})
			ys = append(ys, y)
		}
	}
	if len(xs) > 0 {
		w := fitLogistic(xs, ys, []float64{base.Margin, base.Score, base.Bias}, l2)
		base.Margin, base.Score, base.Bias = w[0], w[1], w[2]
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
