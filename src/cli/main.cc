#include <cstdio>
int main() { std::puts("edgebench"); return 0; }
