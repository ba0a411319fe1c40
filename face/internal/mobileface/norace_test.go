//go:build !race

package mobileface

const raceEnabled = false
