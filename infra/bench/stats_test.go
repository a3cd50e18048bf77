package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[99-i] = time.Duration(i + 1) // 100 ... 1, unsorted on purpose
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{7}, 99, 7},
		{"median of odd count", []time.Duration{3, 1, 2}, 50, 2},
		{"median of even count is the lower middle", []time.Duration{4, 1, 3, 2}, 50, 2},
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the maximum", hundred, 100, 100},
		{"tiny p is the minimum", hundred, 0.1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	if hundred[0] != 100 {
		t.Error("percentile sorted its input in place")
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{ms(1234567 * time.Nanosecond), "1.23 ms"},
		{signedMS(1500 * time.Microsecond), "+1.50 ms"},
		{signedMS(-300 * time.Microsecond), "−0.30 ms"},
		{us(1499 * time.Nanosecond), "1 µs"},
		{megabytes(10_000_000), "10.00 MB"},
		{verdict(true), "pass"},
		{verdict(false), "**miss**"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
