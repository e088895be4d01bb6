// Single-core memory-read bandwidth with AVX-512 loads and four accumulators: the best this
// machine does on one core, for scale beside `seamdb-bench machine` (portable Rust kernel).
//   gcc -O3 -march=native bench/probes/membw.c -o /tmp/membw && /tmp/membw
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>
double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){ size_t n=1<<28; double*a=aligned_alloc(64,n*8); for(size_t i=0;i<n;i++)a[i]=i;
 for(int r=0;r<5;r++){ double t=now(); __m512d s0=_mm512_setzero_pd(),s1=s0,s2=s0,s3=s0;
  for(size_t i=0;i<n;i+=32){ s0=_mm512_add_pd(s0,_mm512_load_pd(a+i)); s1=_mm512_add_pd(s1,_mm512_load_pd(a+i+8)); s2=_mm512_add_pd(s2,_mm512_load_pd(a+i+16)); s3=_mm512_add_pd(s3,_mm512_load_pd(a+i+24)); }
  double e=now()-t; double s=_mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0,s1),_mm512_add_pd(s2,s3)));
  printf("%.1f GB/s (%g)\n", n*8/e/1e9, s);} }
