// requant: the Requant op of docs/INTEGER.md §4 for one element of
// channel k, combinational, with a 64-bit intermediate:
//
//   t = (x - in_zero_point) * multiplier + bias                 (64-bit)
//   y = clamp(((t + 2^(shift-1)) >>> shift) + out_zero_point, lo, hi)
//
// >>> is an arithmetic shift; shift = 0 adds no rounding term (round half
// up otherwise). multiplier, shift and bias are channel k's entries of the
// exported params/<layer>.{multiplier,shift,bias}.hex (32-bit signed,
// 8-bit unsigned with 0 <= shift <= 62, 64-bit signed).
`timescale 1ns / 1ps
module requant (
    input  wire signed [31:0] x,
    input  wire signed [31:0] in_zero_point,
    input  wire signed [31:0] multiplier,
    input  wire        [7:0]  shift,
    input  wire signed [63:0] bias,
    input  wire signed [31:0] out_zero_point,
    input  wire signed [31:0] lo,
    input  wire signed [31:0] hi,
    output wire signed [31:0] y
);
    wire signed [32:0] xc   = x - in_zero_point;
    wire signed [63:0] t    = xc * multiplier + bias;
    wire signed [63:0] half = (shift == 8'd0) ? 64'sd0 : (64'sd1 <<< (shift - 8'd1));
    wire signed [63:0] r    = (t + half) >>> shift;
    wire signed [63:0] v    = r + out_zero_point;
    assign y = (v < lo) ? lo : (v > hi) ? hi : v[31:0];
endmodule
