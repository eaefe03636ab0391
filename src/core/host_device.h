// CCB_HD marks functions that must compile for both the host and CUDA devices (the shared arithmetic of the
// CPU and CUDA reducers). Outside nvcc it expands to nothing, so plain C++ translation units see ordinary
// inline functions.
#pragma once

#if defined(__CUDACC__)
#define CCB_HD __host__ __device__
#else
#define CCB_HD
#endif

// For the tiny element functions that hot loops call (conversions, functors): a loop only vectorises when
// they are inlined, and GCC's inliner stops inlining once a translation unit has instantiated many loops.
#if defined(__CUDACC__)
#define CCB_FORCE_INLINE __forceinline__
#elif defined(__GNUC__)
#define CCB_FORCE_INLINE inline __attribute__((always_inline))
#else
#define CCB_FORCE_INLINE inline
#endif
