package engine

import "math"

func calibrated(s1, s2 float64, learned bool) float64 {
	z := 8*(s1-s2) + 3*s1 - 1
	return 1 / (1 + math.Exp(-z))
}
