// tb_requant: applies requant to test vectors and writes the results.
//
// VEC_FILE holds NVEC vectors of 8 words each, one word per line in hex
// ($readmemh, 64-bit two's complement): x, in_zero_point, multiplier,
// shift, bias, out_zero_point, lo, hi. OUT_FILE gets one decimal y per
// vector.
`timescale 1ns / 1ps
module tb_requant;
    parameter NVEC = 1;
    parameter VEC_FILE = "vectors.hex", OUT_FILE = "out.txt";

    reg [63:0] vec [0:8*NVEC-1];
    reg signed [31:0] x, in_zp, mult, out_zp, lo, hi;
    reg        [7:0]  shift;
    reg signed [63:0] bias;
    wire signed [31:0] y;

    requant dut (.x(x), .in_zero_point(in_zp), .multiplier(mult), .shift(shift), .bias(bias),
                 .out_zero_point(out_zp), .lo(lo), .hi(hi), .y(y));

    integer i, fd;
    initial begin
        $readmemh(VEC_FILE, vec);
        fd = $fopen(OUT_FILE, "w");
        for (i = 0; i < NVEC; i = i + 1) begin
            x = vec[8*i];
            in_zp = vec[8*i + 1];
            mult = vec[8*i + 2];
            shift = vec[8*i + 3];
            bias = vec[8*i + 4];
            out_zp = vec[8*i + 5];
            lo = vec[8*i + 6];
            hi = vec[8*i + 7];
            #1;
            $fdisplay(fd, "%0d", y);
        end
        $fclose(fd);
        $finish;
    end
endmodule
