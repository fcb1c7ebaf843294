// tb_conv: runs one exported convolution (or IntMatMul) layer through
// mac_array and requant and writes every output element.
//
// Inputs (the export of docs/EXPORT.md, group 0 of the layer's GEMM):
//   W_FILE      tiles/<layer>.w.hex    A = weights, MB x KB tiles of P x P
//   X_FILE      tiles/<layer>.x.hex    B = im2col'd input, KB x NB tiles
//   MULT_FILE   params/<layer>.multiplier.hex   NCH entries (1 or M)
//   SHIFT_FILE  params/<layer>.shift.hex
//   BIAS_FILE   params/<layer>.bias.hex
// Output OUT_FILE: M*N lines "acc y" (decimal), row-major over
// (output channel, output position) = the layer's acc and y of image 0.
//
// Schedule: for every C tile (i, j) and tile row r, the P lanes compute
// C[i*P + r][j*P + p] for p = 0..P-1 over KB*P cycles: lane p gets
// B[k][j*P + p] (the input, zero point X_ZP) and all lanes share
// A[i*P + r][k] (the weight of output channel i*P + r). Words narrower
// than 8 bits are sign- or zero-extended to the MAC's 8-bit operands.
`timescale 1ns / 1ps
module tb_conv;
    parameter P = 4;
    parameter M = 4, K = 4, N = 4;          // unpadded GEMM
    parameter MB = 1, KB = 1, NB = 1;       // tile counts
    parameter X_BITS = 8, X_SIGNED = 0, X_ZP = 0;
    parameter W_BITS = 8, W_SIGNED = 1, W_ZP = 0;
    parameter NCH = 1;                      // rescale entries: 1 or M
    parameter IN_ZP = 0, OUT_ZP = 0, LO = 0, HI = 255;
    parameter W_FILE = "w.hex", X_FILE = "x.hex";
    parameter MULT_FILE = "multiplier.hex", SHIFT_FILE = "shift.hex", BIAS_FILE = "bias.hex";
    parameter OUT_FILE = "out.txt";

    reg [7:0]  w_mem [0:MB*KB*P*P-1];
    reg [7:0]  x_mem [0:KB*NB*P*P-1];
    reg [31:0] mult_mem [0:NCH-1];
    reg [7:0]  shift_mem [0:NCH-1];
    reg [63:0] bias_mem [0:NCH-1];
    reg signed [31:0] acc_out [0:M*N-1];
    reg signed [31:0] y_out [0:M*N-1];

    reg clk = 0, rst = 1, en = 0, clear = 0;
    reg [P*8-1:0] a_bus, b_bus;
    wire [P*32-1:0] acc;
    always #5 clk = ~clk;

    mac_array #(.P(P), .A_BITS(8), .B_BITS(8), .A_SIGNED(X_SIGNED), .B_SIGNED(W_SIGNED)) mac (
        .clk(clk), .rst(rst), .en(en), .clear(clear), .a(a_bus), .b(b_bus),
        .a_zero_point(X_ZP[8:0]), .b_zero_point(W_ZP[8:0]), .acc(acc));

    // The row's rescale, shared by every lane.
    reg signed [31:0] mult;
    reg        [7:0]  shift;
    reg signed [63:0] bias;
    wire [P*32-1:0] y;
    genvar p;
    generate
        for (p = 0; p < P; p = p + 1) begin : rq
            requant r (.x(acc[p*32 +: 32]), .in_zero_point(IN_ZP), .multiplier(mult), .shift(shift),
                       .bias(bias), .out_zero_point(OUT_ZP), .lo(LO), .hi(HI), .y(y[p*32 +: 32]));
        end
    endgenerate

    // ext8 widens a bits-wide word to the MAC's 8-bit operand.
    function [7:0] ext8(input [7:0] v, input integer bits, input integer sgn);
        integer b;
        begin
            ext8 = v;
            for (b = 0; b < 8; b = b + 1)
                if (b >= bits) ext8[b] = sgn ? v[bits-1] : 1'b0;
        end
    endfunction

    integer i, j, r, kb, kk, q, row, col, ch, fd;
    initial begin
        $readmemh(W_FILE, w_mem);
        $readmemh(X_FILE, x_mem);
        $readmemh(MULT_FILE, mult_mem);
        $readmemh(SHIFT_FILE, shift_mem);
        $readmemh(BIAS_FILE, bias_mem);
        @(negedge clk) rst = 0;
        for (i = 0; i < MB; i = i + 1)
            for (j = 0; j < NB; j = j + 1)
                for (r = 0; r < P; r = r + 1) begin
                    for (kb = 0; kb < KB; kb = kb + 1)
                        for (kk = 0; kk < P; kk = kk + 1) begin
                            @(negedge clk);
                            en = 1;
                            clear = (kb == 0 && kk == 0);
                            for (q = 0; q < P; q = q + 1) begin
                                // B tile (kb, j), row kk, column q; A tile (i, kb), row r, column kk.
                                a_bus[q*8 +: 8] = ext8(x_mem[((kb*NB + j)*P + kk)*P + q], X_BITS, X_SIGNED);
                                b_bus[q*8 +: 8] = ext8(w_mem[((i*KB + kb)*P + r)*P + kk], W_BITS, W_SIGNED);
                            end
                        end
                    @(negedge clk);
                    en = 0;
                    row = i*P + r;
                    ch = (NCH == 1) ? 0 : row;
                    if (row < M) begin
                        mult = mult_mem[ch];
                        shift = shift_mem[ch];
                        bias = bias_mem[ch];
                        #1;
                        for (q = 0; q < P; q = q + 1) begin
                            col = j*P + q;
                            if (col < N) begin
                                acc_out[row*N + col] = acc[q*32 +: 32];
                                y_out[row*N + col] = y[q*32 +: 32];
                            end
                        end
                    end
                end
        fd = $fopen(OUT_FILE, "w");
        for (i = 0; i < M*N; i = i + 1)
            $fdisplay(fd, "%0d %0d", acc_out[i], y_out[i]);
        $fclose(fd);
        $finish;
    end
endmodule
