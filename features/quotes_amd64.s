#include "textflag.h"

// The broadcast constants are loaded from memory: building them with a
// legacy-SSE MOVQ into X0 cost ~130 ns per call on the benchmark machine
// (an SSE/AVX transition), ten times the work of a 300-byte line.

// func quoteBlocksAVX2(p *byte, n int, out *uint64) (bs, ctrl uint64)
TEXT ·quoteBlocksAVX2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	VMOVDQU quotes<>(SB), Y0
	VMOVDQU bslashes<>(SB), Y1
	VMOVDQU ctrlmax<>(SB), Y6
	VPXOR Y5, Y5, Y5 // backslashes seen
	VPXOR Y7, Y7, Y7 // control bytes seen, bytes 0-31 of a block
	VPXOR Y8, Y8, Y8 // control bytes seen, bytes 32-63

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU (SI), Y2
	VMOVDQU 32(SI), Y3
	VPCMPEQB Y0, Y2, Y4
	VPMOVMSKB Y4, AX
	VPCMPEQB Y0, Y3, Y4
	VPMOVMSKB Y4, BX
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, (DI)
	VPCMPEQB Y1, Y2, Y4
	VPOR     Y4, Y5, Y5
	VPCMPEQB Y1, Y3, Y4
	VPOR     Y4, Y5, Y5
	// A byte is a control byte when min(byte, 0x1f) is the byte.
	VPMINUB  Y6, Y2, Y4
	VPCMPEQB Y2, Y4, Y4
	VPOR     Y4, Y7, Y7
	VPMINUB  Y6, Y3, Y4
	VPCMPEQB Y3, Y4, Y4
	VPOR     Y4, Y8, Y8
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JMP  loop

done:
	VPMOVMSKB Y5, AX
	MOVQ AX, bs+24(FP)
	VPMOVMSKB Y7, AX
	VPMOVMSKB Y8, BX
	SHLQ $32, BX
	ORQ  BX, AX
	VZEROUPPER
	MOVQ AX, ctrl+32(FP)
	RET

DATA quotes<>+0(SB)/8, $0x2222222222222222
DATA quotes<>+8(SB)/8, $0x2222222222222222
DATA quotes<>+16(SB)/8, $0x2222222222222222
DATA quotes<>+24(SB)/8, $0x2222222222222222
GLOBL quotes<>(SB), RODATA|NOPTR, $32

DATA bslashes<>+0(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA bslashes<>+8(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA bslashes<>+16(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA bslashes<>+24(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL bslashes<>(SB), RODATA|NOPTR, $32

DATA ctrlmax<>+0(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA ctrlmax<>+8(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA ctrlmax<>+16(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA ctrlmax<>+24(SB)/8, $0x1f1f1f1f1f1f1f1f
GLOBL ctrlmax<>(SB), RODATA|NOPTR, $32
