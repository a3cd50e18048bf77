package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of ds by the nearest-rank method: the
// smallest value that at least p percent of the values do not exceed. It is 0 for no values.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// median is the 50th percentile.
func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

// ms formats d in milliseconds with two decimals: "12.34 ms".
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// signedMS formats d in milliseconds with an explicit sign: "+1.20 ms", "−0.30 ms".
func signedMS(d time.Duration) string {
	if d < 0 {
		return fmt.Sprintf("−%.2f ms", float64(-d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("+%.2f ms", float64(d)/float64(time.Millisecond))
}

// us formats d in microseconds: "123 µs".
func us(d time.Duration) string {
	return fmt.Sprintf("%d µs", d.Round(time.Microsecond)/time.Microsecond)
}

// megabytes formats a size in megabytes (10^6 bytes) with two decimals.
func megabytes(n int64) string {
	return fmt.Sprintf("%.2f MB", float64(n)/1e6)
}

// verdict is the word a budget gets.
func verdict(met bool) string {
	if met {
		return "pass"
	}
	return "**miss**"
}
