/* pc_ast.c — small helpers over the checked pipeline (pc_ast.h): type names and the node
 * namespace shared by sources and stages. */
#include "pc_ast.h"

const char *pc_type_name(pc_type t)
{
    switch (t) {
    case PC_T_STRING: return "string";
    case PC_T_INT: return "int";
    case PC_T_FLOAT: return "float";
    case PC_T_BOOL: return "bool";
    case PC_T_TIMESTAMP: return "timestamp";
    default: return "<error>";
    }
}

const pc_row *pc_node_row(const pc_pipeline *p, int node)
{
    if (node < 0 || node >= p->nsources + p->nstages)
        return NULL;
    if (node < p->nsources)
        return &p->sources[node].row;
    return &p->stages[node - p->nsources].out_row;
}

const char *pc_node_name(const pc_pipeline *p, int node)
{
    if (node < 0 || node >= p->nsources + p->nstages)
        return NULL;
    if (node < p->nsources)
        return p->sources[node].name;
    return p->stages[node - p->nsources].id;
}
