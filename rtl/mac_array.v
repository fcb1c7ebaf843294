// mac_array: P multiply-accumulate lanes, each an exact int32 dot product
// of zero-point-corrected integers (docs/INTEGER.md, IntConv/IntMatMul):
//
//   lane p, every cycle with en = 1:
//     acc[p] <= (clear ? 0 : acc[p]) + (a[p] - a_zero_point) * (b[p] - b_zero_point)
//
// Operands are A_BITS / B_BITS wide (at most 14 so the product fits 32
// bits), signed or unsigned by A_SIGNED / B_SIGNED; zero points are
// signed and one bit wider than their operand, so an unsigned 8-bit
// operand may have any zero point 0..255. Lane p's operands sit at
// a[p*A_BITS +: A_BITS] and b[p*B_BITS +: B_BITS], its accumulator at
// acc[p*32 +: 32] (two's complement). The accumulator wraps modulo 2^32
// like the int32 of the golden runtime; t2c convert proves it never has to.
// Synchronous active-high reset; no vendor primitives.
`timescale 1ns / 1ps
module mac_array #(
    parameter P        = 4,
    parameter A_BITS   = 8,
    parameter B_BITS   = 8,
    parameter A_SIGNED = 0,
    parameter B_SIGNED = 1
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     en,     // accumulate this cycle's products
    input  wire                     clear,  // with en: start a new sum with this product
    input  wire [P*A_BITS-1:0]      a,
    input  wire [P*B_BITS-1:0]      b,
    input  wire signed [A_BITS:0]   a_zero_point,
    input  wire signed [B_BITS:0]   b_zero_point,
    output wire [P*32-1:0]          acc
);
    genvar p;
    generate
        for (p = 0; p < P; p = p + 1) begin : lane
            wire [A_BITS-1:0] a_raw = a[p*A_BITS +: A_BITS];
            wire [B_BITS-1:0] b_raw = b[p*B_BITS +: B_BITS];
            // Operands as signed values one bit wider than their word.
            wire signed [A_BITS:0] a_ext = A_SIGNED ? {a_raw[A_BITS-1], a_raw} : {1'b0, a_raw};
            wire signed [B_BITS:0] b_ext = B_SIGNED ? {b_raw[B_BITS-1], b_raw} : {1'b0, b_raw};
            wire signed [A_BITS+1:0] a_off = a_ext - a_zero_point;
            wire signed [B_BITS+1:0] b_off = b_ext - b_zero_point;
            wire signed [A_BITS+B_BITS+3:0] prod = a_off * b_off;
            wire signed [31:0] prod32 = prod;
            reg  signed [31:0] sum;
            always @(posedge clk) begin
                if (rst)
                    sum <= 32'sd0;
                else if (en)
                    sum <= (clear ? 32'sd0 : sum) + prod32;
            end
            assign acc[p*32 +: 32] = sum;
        end
    endgenerate
endmodule
