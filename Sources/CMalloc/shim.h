// glibc's allocator controls (mallopt) and statistics (mallinfo2), which Swift's Glibc
// module leaves out.
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
